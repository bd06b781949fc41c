/**
 * The snapshot codec: values to bytes and back, for whole snapshots (docs/snapshots.md) and
 * the compiler tests' suspended frames. What it accepts is the data policy of `core/data.ts`,
 * and what it decodes is indistinguishable from what it encoded, for everything that policy
 * calls data. The bytes are V8's structured serialization (`node:v8`), which keeps `Map`, `Set`,
 * `Date`, `RegExp`, `BigInt`, typed arrays, `undefined`, `-0`, `NaN`, array holes and
 * properties, shared references and cycles. Before that, a check walks the value once without
 * allocating; plain data not nested too deep (the common case) is then serialized as it is, and
 * decoding is V8's alone. Otherwise a careful walk (`codec-walk.ts`, iterative, so any depth)
 * makes a copy that handles what V8 would silently change or cannot do:
 *
 *   - an instance of a registered class ({@link Codec.register}, from `app.dataClass`) is
 *     written as its `encode` data with the class's name and rebuilt by its `decode`;
 *   - an error comes back as its built-in class (`TypeError`, …; the nearest one for a subclass
 *     that is not registered) with its name, message, stack, `cause` and other own enumerable
 *     properties such as `code` (and an `AggregateError` with its `errors`); a registered error
 *     type (an error class of a compiled module is one, `core/error-classes.ts`) gets its own
 *     class back;
 *   - an object with a `null` prototype comes back with a `null` prototype;
 *   - a value nested deeper than V8's serializer can recurse is cut into a side table;
 *   - any other class instance (and functions, symbols, promises, weak collections) is
 *     rejected with the path to it, instead of coming back as a plain object.
 */
import { deserialize, serialize } from "node:v8";
import { DATA_CLASSES, ERROR_CLASSES, type DataClass } from "../core/data.js";
import { OperatorError, PortalRequestError, type HookName } from "../core/errors.js";
import { RequestHandle } from "../core/machine.js";
import { PortalRefValue } from "../core/portal-ref.js";
import type { Key } from "../core/key.js";
import { adopt, ArrayNode, CUT, FieldsNode, isDense, MapNode, Node, ObjectNode, pathOf, PENDING, SetNode, TAG, walk } from "./codec-walk.js";

/** A value that cannot be encoded, with where it is. */
export class EncodeError extends Error {
  /** The error's class name. */
  override readonly name = "EncodeError";
  constructor(
    /** Path from the encoded root, e.g. `frames[0].locals.cart`. */
    readonly path: string,
    /** What was found there. */
    readonly found: string,
  ) {
    super(`cannot store ${found} at ${path}: only plain data, Map, Set, Date, RegExp, typed arrays, errors and registered types can be stored (register the class with app.dataClass)`);
  }
}

/**
 * Prototypes of the built-in data classes stored as they are, with nothing inside to walk (Date,
 * RegExp, buffers, typed arrays). Exact prototypes: an instance of a subclass (a `Buffer`, a class
 * extending `Map`) would come back as its base class, so it is not data unless registered.
 */
const LEAF_PROTOTYPES: ReadonlySet<object> = new Set(
  DATA_CLASSES.filter((name) => name !== "Map" && name !== "Set")
    .map((name) => builtin(name)?.prototype)
    .filter((proto): proto is object => proto !== undefined),
);

/** The prototypes of the built-in error classes, by class name. */
const ERROR_PROTOTYPES: ReadonlyMap<object, string> = new Map(
  ERROR_CLASSES.map((name) => [builtin(name)?.prototype, name] as const).filter((e): e is [object, string] => e[0] !== undefined),
);

/** Encodes values to bytes and back; see the module header. */
export class Codec {
  private readonly byPrototype = new Map<object, DataClass<object>>();
  private readonly byName = new Map<string, DataClass<object>>();

  /**
   * Registers how to store instances of a class.
   *
   * @throws TypeError when the name is taken by another type
   */
  register<T extends object>(dataClass: DataClass<T>): this {
    const existing = this.byName.get(dataClass.name);
    if (existing !== undefined && existing.type !== dataClass.type) throw new TypeError(`codec: the type name ${dataClass.name} is already registered for another class`);
    this.byName.set(dataClass.name, dataClass as unknown as DataClass<object>);
    this.byPrototype.set(dataClass.type.prototype as object, dataClass as unknown as DataClass<object>);
    return this;
  }

  /**
   * The bytes of `value`.
   *
   * @param root name of the value in error paths (e.g. `frame`)
   * @throws EncodeError naming the path of the first value that cannot be stored
   */
  encode(value: unknown, root = "value"): Uint8Array {
    if (plain(value, 0)) {
      try {
        return serialize({ tagged: false, value });
      } catch {
        // Something V8 refuses where the check does not look (a property of an array): the
        // careful walk finds it and names its path.
      }
    }
    return serialize({ tagged: true, ...this.tag(value, root) });
  }

  /** The value of `bytes` written by {@link encode}. */
  decode(bytes: Uint8Array): unknown {
    const payload = deserialize(bytes) as { tagged: boolean; value: unknown; table?: unknown[] };
    return payload.tagged ? this.untag(payload.value, payload.table ?? []) : payload.value;
  }

  /**
   * The careful walk (see the module header): a copy of `value` with registered instances,
   * errors and null-prototype objects as records, every container written once and deep ones
   * cut into the side table (`codec-walk.ts`); anything that is not data is rejected with its path.
   */
  private tag(value: unknown, root: string): { value: unknown; table: unknown[] } {
    const table: unknown[] = [];
    const seen = new Map<object, Written>();
    const refs: object[] = [];
    const ref = (w: Written): object => {
      if (w.ref < 0) w.ref = table.push(w.copy) - 1;
      return (refs[w.ref] ??= { [TAG]: "ref", i: w.ref });
    };
    const top = new FieldsNode({ value }, { value: undefined }, ["value"], [""]);
    walk(top, (child, parent, slot, push) => {
      if (typeof child === "function") throw new EncodeError(pathOf(root, parent, slot), `a function${child.name ? ` (${child.name})` : ""}`);
      if (typeof child === "symbol") throw new EncodeError(pathOf(root, parent, slot), "a symbol");
      if (typeof child !== "object" || child === null) return child;
      const known = seen.get(child);
      if (known !== undefined) {
        if (known.open !== undefined) {
          throw new EncodeError(pathOf(root, parent, slot), `an instance of ${known.open} inside its own encoded data: a registered instance cannot be part of a cycle`);
        }
        return ref(known);
      }
      const proto = Object.getPrototypeOf(child) as object | null;
      if (proto !== null && LEAF_PROTOTYPES.has(proto)) return child;
      const made = this.tagNode(child, proto, () => pathOf(root, parent, slot));
      const cut = parent.depth >= CUT;
      const written: Written = { copy: made.placed, ref: -1, open: made.registered };
      if (made.registered !== undefined) made.node.done = () => void (written.open = undefined);
      seen.set(child, written);
      push(adopt(made.node, parent, slot, cut));
      return cut ? ref(written) : made.placed;
    });
    return { value: (top.out as { value: unknown }).value, table };
  }

  /** The node that copies `value` and what its parent holds in its place. */
  private tagNode(value: object, proto: object | null, path: () => string): { node: Node; placed: unknown; registered?: string } {
    const registered = proto === null ? undefined : this.byPrototype.get(proto);
    if (registered !== undefined) {
      const record = { [TAG]: "class", name: registered.name, data: undefined };
      return { node: new FieldsNode({ data: registered.encode(value) }, record, ["data"], [`<${registered.name}>`]), placed: record, registered: registered.name };
    }
    if (proto === Object.prototype && !Object.hasOwn(value, TAG)) {
      const node = new ObjectNode(value, {}, true);
      return { node, placed: node.out };
    }
    if (proto === Object.prototype || proto === null) {
      // A null prototype, or a plain object that holds the tag key: its properties in a record.
      const record = { [TAG]: proto === null ? "null" : "object", props: {} };
      return { node: new ObjectNode(value, record.props, true), placed: record };
    }
    if (proto === Array.prototype) {
      const array = value as unknown[];
      if (isDense(array, Object.keys(array))) {
        const node = new ArrayNode(array, []);
        return { node, placed: node.out };
      }
      // Holes and other properties: its properties in a record (decoded without looking for them in every array).
      const record = { [TAG]: "array", length: array.length, props: {} };
      return { node: new ObjectNode(array, record.props, true), placed: record };
    }
    if (proto === Map.prototype) {
      const node = new MapNode(value as Map<unknown, unknown>);
      return { node, placed: node.out };
    }
    if (proto === Set.prototype) {
      const node = new SetNode(value as Set<unknown>);
      return { node, placed: node.out };
    }
    const type = errorType(proto);
    if (type !== undefined) {
      const error = value as Error & { errors?: unknown };
      const record: Record<string, unknown> = { [TAG]: "error", type, name: String(error.name), message: String(error.message), stack: error.stack };
      const fields = [...(Object.hasOwn(error, "cause") ? ["cause"] : []), ...(type === "AggregateError" && Array.isArray(error.errors) ? ["errors"] : [])];
      // Its other own enumerable properties (`code`, an own `name`, …) go in `props`.
      const own = Object.keys(error).filter((k) => !ERROR_FIELDS.has(k));
      const source: Record<string, unknown> = { cause: error.cause, errors: error.errors };
      if (own.length > 0) {
        source.props = Object.fromEntries(own.map((k) => [k, (error as unknown as Record<string, unknown>)[k]]));
        fields.push("props");
      }
      return { node: new FieldsNode(source, record, fields, fields.map((f) => (f === "props" ? "" : `.${f}`))), placed: record };
    }
    throw new EncodeError(path(), `an instance of class ${(proto!.constructor as { name?: string } | undefined)?.name ?? "(anonymous)"}`);
  }

  /** The value of a tagged payload: `value` and the side `table` its `ref` records point into. */
  private untag(value: unknown, table: unknown[]): unknown {
    // A container written in the table is decoded once, wherever the walk meets it first.
    const index = new Map<unknown, number>(table.map((t, i) => [t, i]));
    const decoded: unknown[] = new Array(table.length).fill(UNSET);
    const top = new FieldsNode({ value }, { value: undefined }, ["value"], [""]);
    walk(top, (raw, parent, slot, push) => {
      if (typeof raw !== "object" || raw === null) return raw;
      let child = raw as Record<string, unknown>;
      if (child[TAG] === "ref") child = table[child.i as number] as Record<string, unknown>;
      const t = index.size === 0 ? undefined : index.get(child);
      if (t !== undefined && decoded[t] !== UNSET) {
        if (decoded[t] === OPEN) throw new TypeError("codec: the bytes hold a registered instance inside its own data");
        return decoded[t];
      }
      const made = this.untagNode(child);
      if (made === undefined) return child;
      if (t !== undefined) {
        decoded[t] = made.value === PENDING ? OPEN : made.value;
        if (made.value === PENDING) {
          // A registered instance exists once its data is decoded; later refs find it then.
          const finish = made.node.finish.bind(made.node);
          made.node.finish = () => (decoded[t] = finish());
        }
      }
      push(adopt(made.node, parent, slot, false));
      return made.value;
    });
    return (top.out as { value: unknown }).value;
  }

  /** The node that decodes `value` in place (or rebuilds it), or `undefined` for a value kept as it is. */
  private untagNode(value: Record<string, unknown>): { node: Node; value: unknown } | undefined {
    if (Array.isArray(value)) return { node: new ArrayNode(value, value), value };
    if (value instanceof Map) {
      const node = new MapNode(value);
      return { node, value: node.out };
    }
    if (value instanceof Set) {
      const node = new SetNode(value);
      return { node, value: node.out };
    }
    if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
    const tag = value[TAG];
    if (tag === undefined) return { node: new ObjectNode(value, value, false), value };
    switch (tag) {
      case "null":
      case "object":
      case "array": {
        const out: object = tag === "null" ? Object.create(null) : tag === "object" ? {} : new Array(value.length as number);
        return { node: new ObjectNode(value.props as object, out, true), value: out };
      }
      case "error": {
        const error = makeError(value);
        const fields = ["cause", "errors", "props"].filter((f) => Object.hasOwn(value, f));
        return { node: new FieldsNode(value, error, fields, fields.map((f) => `.${f}`)), value: error };
      }
      case "class": {
        const type = this.byName.get(value.name as string);
        if (type === undefined) throw new TypeError(`codec: the bytes hold an instance of ${String(value.name)}, which is not registered in this process`);
        return { node: new DecodeNode(value.data, type), value: PENDING };
      }
      default:
        throw new TypeError(`codec: the bytes hold a record of unknown type ${String(tag)}; they were written by another version of the runtime`);
    }
  }
}

/** The own properties of an error the `error` record keeps by themselves, not in its `props`. */
const ERROR_FIELDS = new Set(["message", "stack", "cause", "errors"]);

/** A container the careful walk wrote: its copy, its slot in the side table (-1: none yet), the registered class whose data is being walked. */
interface Written {
  readonly copy: unknown;
  ref: number;
  open: string | undefined;
}

/** Markers of the side table while decoding: not decoded yet, and a registered instance being decoded. */
const UNSET = Symbol("unset");
const OPEN = Symbol("open");

/** A registered instance being decoded: its data first, then the class's `decode` makes it. */
class DecodeNode extends Node {
  readonly out = PENDING;
  readonly size = 1;
  private data: unknown;
  constructor(
    private readonly encoded: unknown,
    private readonly type: DataClass<object>,
  ) {
    super();
  }
  child(): unknown {
    return this.encoded;
  }
  put(_i: number, value: unknown): void {
    this.data = value;
  }
  label(): string {
    return `<${this.type.name}>`;
  }
  override finish(): unknown {
    return this.type.decode(this.data);
  }
}

/** The error an `error` record describes, of its built-in class, with its name, message and stack (cause and errors are its children). */
function makeError(record: Record<string, unknown>): Error {
  const message = String(record.message);
  const type = record.type === "AggregateError" ? undefined : (builtin(String(record.type)) as ErrorConstructor | undefined);
  const error = record.type === "AggregateError" ? new AggregateError([], message) : new (type ?? Error)(message);
  if (error.name !== record.name) error.name = String(record.name);
  if (typeof record.stack !== "string") delete error.stack;
  return withStack(error, typeof record.stack === "string" ? record.stack : undefined);
}

/** The built-in error class an object with prototype `proto` is an instance of (the nearest), or `undefined`. */
function errorType(proto: object | null): string | undefined {
  for (let p = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    const name = ERROR_PROTOTYPES.get(p);
    if (name !== undefined) return name;
  }
  return undefined;
}

function builtin(name: string): { prototype: object } | undefined {
  return (globalThis as unknown as Record<string, { prototype: object } | undefined>)[name];
}

/**
 * The check of the common case: true data only (primitives, objects with `Object.prototype`,
 * arrays, Map, Set, built-in data classes), which V8 serializes as it is, at most {@link CUT}
 * levels deep (deeper, V8's own recursion would be at risk, and a cycle is deeper still). It
 * allocates nothing and keeps no paths or visited set; false sends the value to the careful
 * walk ({@link Codec.tag}).
 */
function plain(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null) return typeof value !== "function" && typeof value !== "symbol";
  if (depth > CUT) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype) {
    // The tag key would be read back as a record.
    for (const k in value) if (k === TAG || !plain((value as Record<string, unknown>)[k], depth + 1)) return false;
    return true;
  }
  if (proto === Array.prototype) {
    const array = value as unknown[];
    for (let i = 0; i < array.length; i++) if (!plain(array[i], depth + 1)) return false;
    return true;
  }
  if (proto === Map.prototype) {
    for (const [k, v] of value as Map<unknown, unknown>) if (!plain(k, depth + 1) || !plain(v, depth + 1)) return false;
    return true;
  }
  if (proto === Set.prototype) {
    for (const v of value as Set<unknown>) if (!plain(v, depth + 1)) return false;
    return true;
  }
  return proto !== null && LEAF_PROTOTYPES.has(proto);
}

/** A portal of the applications a codec serves: its path and routing key function, if any. */
export interface PortalOfCodec {
  readonly path: string;
  readonly key?: (request: never) => Key;
}

/**
 * A codec for one system: the framework's own types, then `classes` (the data classes of the
 * applications it runs). `portals` are those applications' portals: a portal ref is stored by
 * its path and comes back with the key function of the portal of that path.
 *
 * @throws TypeError when two of `classes` have the same name but not the same class
 */
export function createCodec(classes: readonly DataClass<object>[] = [], portals: readonly PortalOfCodec[] = []): Codec {
  const codec = new Codec();
  for (const c of FRAMEWORK_CLASSES) codec.register(c);
  const keys = new Map(portals.map((p) => [p.path, p.key]));
  codec.register({
    name: "portals.PortalRef",
    type: PortalRefValue,
    encode: (ref) => ref.path,
    decode: (path: string) => new PortalRefValue(path, keys.get(path)),
  } satisfies DataClass<PortalRefValue>);
  for (const c of classes) codec.register(c);
  return codec;
}

/** `error` with the stack it had where it was thrown (a decoded error is made anew). */
function withStack<E extends Error>(error: E, stack: string | undefined): E {
  if (stack !== undefined) Object.defineProperty(error, "stack", { value: stack, writable: true, configurable: true, enumerable: false });
  return error;
}

/** The framework's own classes that travel in snapshots. */
const FRAMEWORK_CLASSES: readonly DataClass<object>[] = [
  {
    name: "portals.RequestHandle",
    type: RequestHandle,
    encode: (h) => [h.portal, h.requestId],
    decode: ([portal, requestId]: [string, number]) => new RequestHandle(portal, requestId),
  } satisfies DataClass<RequestHandle>,
  {
    name: "portals.PortalRequestError",
    type: PortalRequestError,
    encode: (e) => ({ portal: e.portal, reason: e.reason, stack: e.stack }),
    decode: (d: { portal: string; reason: string; stack: string | undefined }) => withStack(new PortalRequestError(d.portal, d.reason), d.stack),
  } satisfies DataClass<PortalRequestError>,
  {
    name: "portals.OperatorError",
    type: OperatorError,
    encode: (e) => ({ workflow: e.workflow, task: e.task, key: e.key, cause: e.cause, hook: e.hook, stack: e.stack }),
    decode: (d: { workflow: string; task: string; key: string | number; cause: unknown; hook: HookName | undefined; stack: string | undefined }) =>
      withStack(new OperatorError(d.workflow, d.task, d.key, d.cause, d.hook), d.stack),
  } satisfies DataClass<OperatorError>,
] as readonly DataClass<any>[];
