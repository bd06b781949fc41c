/**
 * The snapshot codec: values to bytes and back, for whole snapshots (docs/snapshots.md) and
 * the compiler tests' suspended frames. What it accepts is the data policy of `core/data.ts`,
 * and what it decodes is indistinguishable from what it encoded, for everything that policy
 * calls data. It runs wherever the runtime does (Node, browsers, workers), with one byte format.
 *
 * The bytes are MessagePack, written by msgpackr with structured cloning, which keeps shared
 * references and cycles, `Map`, `Set`, `Date`, `RegExp`, `BigInt` of any size, `undefined`,
 * `NaN` and ±Infinity (chosen by benchmark against V8's serializer and cbor-x: docs/snapshots.md,
 * "Codec"). Before that, a check walks the value once without allocating (but for the keys of
 * arrays); plain data not nested too deep (the common case) is then encoded as it is, and
 * decoding is msgpackr's alone. Otherwise a careful walk (`codec-walk.ts`, iterative, so any
 * depth) makes a copy that handles what MessagePack would silently change or cannot do:
 *
 *   - an instance of a registered class ({@link Codec.register}, from `app.dataClass`) is
 *     written as its `encode` data with the class's name and rebuilt by its `decode`;
 *   - an error comes back as its built-in class (`TypeError`, …; the nearest one for a subclass
 *     that is not registered) with its name, message, stack, `cause` and other own enumerable
 *     properties such as `code` (and an `AggregateError` with its `errors`); a registered error
 *     type (an error class of a compiled module is one, `core/error-classes.ts`) gets its own
 *     class back;
 *   - an object with a `null` prototype comes back with a `null` prototype, an array with its
 *     holes and other properties, an object with a `__proto__` key with that key;
 *   - `-0` comes back as `-0` (MessagePack writes it as the integer 0), and a string that is not
 *     well-formed Unicode (a lone surrogate) as it was (UTF-8 would replace it), as a value or
 *     as a key;
 *   - typed arrays and `DataView`s come back as views on their `ArrayBuffer`, at their offset:
 *     views of one buffer still share it;
 *   - a value nested deeper than the encoder can recurse is cut into a side table;
 *   - any other class instance (and functions, symbols, promises, weak collections) is
 *     rejected with the path to it, instead of coming back as a plain object.
 */
import { addExtension, Packr } from "msgpackr";
import { DATA_CLASSES, ERROR_CLASSES, type DataClass } from "../core/data.js";
import { OperatorError, PortalRequestError, type HookName } from "../core/errors.js";
import { RequestHandle } from "../core/machine.js";
import { PortalRefValue } from "../core/portal-ref.js";
import type { Key } from "../core/key.js";
import {
  adopt,
  ArrayNode,
  CUT,
  EntriesNode,
  escapeString,
  FieldsNode,
  isDense,
  MapNode,
  Node,
  ObjectNode,
  ordinaryKey,
  pathOf,
  PENDING,
  PropsNode,
  SetNode,
  TAG,
  unescapeString,
  walk,
  wellFormed,
} from "./codec-walk.js";

export { vouchDense } from "./codec-walk.js";

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
 * A value written as the bytes {@link Codec.encode} made of it, when {@link Codec.encodeOnce}
 * did (an atom a cluster's export encoded for its message, docs/snapshots.md, "Codec"): a
 * snapshot holding the value copies those bytes in instead of encoding it again, and
 * {@link Codec.decodeEncoded} gives the value back.
 */
export class Encoded {
  constructor(readonly bytes: Uint8Array) {}
}

/** msgpackr's extension type of {@link Encoded} (user types are 0–127; msgpackr's own structured clone uses letters). */
const ENCODED_TYPE = 0x45;
addExtension({ Class: Encoded, type: ENCODED_TYPE, pack: (e: Encoded) => e.bytes, unpack: (bytes: Uint8Array) => new Encoded(bytes.slice()) });

/**
 * Prototypes of the built-in classes written as they are, with nothing inside to walk: `Date`
 * and `RegExp` (msgpackr's extensions), {@link Encoded} (bytes this codec made) and, on the
 * careful path, `ArrayBuffer`. Exact prototypes: an instance of a subclass (a class extending
 * `Map`) would come back as its base class, so it is not data unless registered.
 */
const PLAIN_LEAVES: ReadonlySet<object> = new Set([Date.prototype, RegExp.prototype, Encoded.prototype]);
const LEAVES: ReadonlySet<object> = new Set([...PLAIN_LEAVES, ArrayBuffer.prototype]);

/**
 * The prototypes of `DataView` and the typed arrays of the data policy, by class name. Their
 * instances are views, written as records of their buffer, offset and length on the careful
 * path, so that views of one buffer still share it (a `Buffer` has its own prototype, so it is not
 * one of these).
 */
const VIEW_PROTOTYPES: ReadonlyMap<object, string> = new Map(
  DATA_CLASSES.filter((name) => name.endsWith("Array") || name === "DataView")
    .map((name) => [builtin(name)?.prototype, name] as const)
    .filter((e): e is [object, string] => e[0] !== undefined),
);

/**
 * The MessagePack encoder and decoder of every codec (they hold no state of a codec).
 * Structured cloning keeps shared references and cycles, and writes `Map`, `Set`, `Date`,
 * `RegExp`, `ArrayBuffer`, `BigInt` and `undefined` as msgpackr's extensions; records (its
 * default) write the keys of objects of one shape once. `copyBuffers`: a decoded `ArrayBuffer`
 * owns its memory instead of pointing into the snapshot's bytes.
 */
const msgpack = new Packr({ structuredClone: true, copyBuffers: true });

/** The prototypes of the built-in error classes, by class name. */
const ERROR_PROTOTYPES: ReadonlyMap<object, string> = new Map(
  ERROR_CLASSES.map((name) => [builtin(name)?.prototype, name] as const).filter((e): e is [object, string] => e[0] !== undefined),
);

/** Encodes values to bytes and back; see the module header. */
export class Codec {
  private readonly byPrototype = new Map<object, DataClass<object>>();
  private readonly byName = new Map<string, DataClass<object>>();
  /** Bytes {@link Codec.encodeOnce} made, for as long as their value lives. */
  private readonly once = new WeakMap<object, Uint8Array>();

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
    const payload = plain(value, 0) ? { tagged: false, value } : { tagged: true, ...this.tag(value, root) };
    // A copy: msgpackr returns a window on its own buffer, which it keeps and writes the next
    // values after; the copy costs little next to the encoding and holds only these bytes.
    return new Uint8Array(msgpack.pack(payload));
  }

  /**
   * The bytes of `value`, made once while it lives: later calls, and a snapshot holding it
   * ({@link Codec.written}), reuse them. Only for values nothing changes after (an engine's
   * atom, `engine/atom.ts`): the bytes would not follow a change.
   *
   * @throws EncodeError as {@link encode} (and makes nothing to reuse)
   */
  encodeOnce(value: object, root = "value"): Uint8Array {
    let bytes = this.once.get(value);
    if (bytes === undefined) this.once.set(value, (bytes = this.encode(value, root)));
    return bytes;
  }

  /** `value` as a snapshot writes it: its bytes when {@link encodeOnce} made them, else itself. */
  written<T extends object>(value: T): T | Encoded {
    const bytes = this.once.get(value);
    return bytes === undefined ? value : new Encoded(bytes);
  }

  /** A value a snapshot read back ({@link written}): decoded when it was written as bytes. */
  decodeEncoded(value: unknown): unknown {
    return value instanceof Encoded ? this.decode(value.bytes) : value;
  }

  /** The value of `bytes` written by {@link encode}. */
  decode(bytes: Uint8Array): unknown {
    const payload = msgpack.unpack(bytes) as { tagged: boolean; value: unknown; table?: unknown[] };
    return payload.tagged ? this.untag(payload.value, payload.table ?? []) : payload.value;
  }

  /**
   * The careful walk (see the module header): a copy of `value` with registered instances,
   * errors, views, null-prototype objects and what else MessagePack would change as records,
   * every container written once and deep ones cut into the side table (`codec-walk.ts`);
   * anything that is not data is rejected with its path.
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
      if (typeof child === "number") return Object.is(child, -0) ? NEGATIVE_ZERO : child;
      if (typeof child === "string") return escapeString(child);
      if (typeof child !== "object" || child === null) return child;
      const known = seen.get(child);
      if (known !== undefined) {
        if (known.open !== undefined) {
          throw new EncodeError(pathOf(root, parent, slot), `an instance of ${known.open} inside its own encoded data: a registered instance cannot be part of a cycle`);
        }
        return ref(known);
      }
      const proto = Object.getPrototypeOf(child) as object | null;
      if (proto !== null && LEAVES.has(proto)) return child;
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
    if (proto === Object.prototype && ordinaryKeys(value)) {
      const node = new ObjectNode(value, {}, true);
      return { node, placed: node.out };
    }
    if (proto === Object.prototype || proto === null) {
      // A null prototype, or a plain object with a key MessagePack would not keep: its properties in a record.
      return props({ [TAG]: proto === null ? "null" : "object" }, value);
    }
    if (proto === Array.prototype) {
      const array = value as unknown[];
      if (isDense(array)) {
        const node = new ArrayNode(array, []);
        return { node, placed: node.out };
      }
      // Holes and other properties: its properties in a record (decoded without looking for them in every array).
      return props({ [TAG]: "array", length: array.length }, array);
    }
    const view = VIEW_PROTOTYPES.get(proto!);
    if (view !== undefined) {
      const { buffer, byteOffset, byteLength } = value as ArrayBufferView;
      const record = { [TAG]: "view", type: view, offset: byteOffset, length: byteLength, buffer: undefined };
      return { node: new FieldsNode({ buffer }, record, ["buffer"], [".buffer"]), placed: record };
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
      const stack = typeof error.stack === "string" ? escapeString(error.stack) : error.stack;
      const record: Record<string, unknown> = { [TAG]: "error", type, name: escapeString(String(error.name)), message: escapeString(String(error.message)), stack };
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
          const finish = made.node!.finish.bind(made.node);
          made.node!.finish = () => (decoded[t] = finish());
        }
      }
      if (made.node !== undefined) push(adopt(made.node, parent, slot, false));
      return made.value;
    });
    return (top.out as { value: unknown }).value;
  }

  /**
   * The node that decodes `value` in place (or rebuilds it) and the value, or the value alone
   * (a record with nothing inside to walk), or `undefined` for a value kept as it is.
   */
  private untagNode(value: Record<string, unknown>): { node?: Node; value: unknown } | undefined {
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
        return { node: new EntriesNode(value.props as unknown[], out), value: out };
      }
      case "-0":
        return { value: -0 };
      case "string":
        return { value: unescapeString(value) };
      case "view":
        return { value: makeView(value) };
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

/** What the careful walk writes for `-0` (one record for all: it holds nothing). */
const NEGATIVE_ZERO = { [TAG]: "-0" };

/** True when every own enumerable key of `value` is one MessagePack keeps ({@link ordinaryKey}). */
function ordinaryKeys(value: object): boolean {
  for (const k in value) if (!ordinaryKey(k)) return false;
  return true;
}

/** `record` with the properties of `value` as its `props` list ({@link PropsNode}), and the node that writes them. */
function props(record: Record<string, unknown>, value: object): { node: Node; placed: unknown } {
  const node = new PropsNode(value);
  record.props = node.out;
  return { node, placed: record };
}

/** The typed array or `DataView` a `view` record describes, on the record's (decoded, so shared) buffer. */
function makeView(record: Record<string, unknown>): ArrayBufferView {
  const type = builtin(String(record.type)) as unknown as (new (buffer: ArrayBuffer, offset: number, length: number) => ArrayBufferView) & { BYTES_PER_ELEMENT?: number };
  if (type === undefined || !VIEW_PROTOTYPES.has(type.prototype as object)) throw new TypeError(`codec: the bytes hold a view of unknown type ${String(record.type)}`);
  const length = record.length as number;
  return new type(record.buffer as ArrayBuffer, record.offset as number, length / (type.BYTES_PER_ELEMENT ?? 1));
}

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
  const message = unescapeString(record.message);
  const type = record.type === "AggregateError" ? undefined : (builtin(String(record.type)) as ErrorConstructor | undefined);
  const error = record.type === "AggregateError" ? new AggregateError([], message) : new (type ?? Error)(message);
  const name = unescapeString(record.name);
  if (error.name !== name) error.name = name;
  if (record.stack === undefined) delete error.stack;
  return withStack(error, record.stack === undefined ? undefined : unescapeString(record.stack));
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
 * The check of the common case: true data only, which msgpackr writes as it is: primitives but
 * `-0` and strings with lone surrogates, objects with `Object.prototype` and ordinary keys,
 * arrays without holes or other properties, Map, Set, Date and RegExp, at most {@link CUT}
 * levels deep (deeper, the encoder's recursion would be at risk, and a cycle is deeper still).
 * Typed arrays and buffers take the careful path, which keeps views of one buffer sharing it.
 * It keeps no paths or visited set and allocates only the keys of arrays (the one way to see
 * their other properties) not vouched for by their maker (`vouchDense`); false sends the value
 * to the careful walk ({@link Codec.tag}).
 */
function plain(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "number":
      return value !== 0 || 1 / value > 0;
    case "string":
      return wellFormed(value);
    case "function":
    case "symbol":
      return false;
    case "object":
      break;
    default:
      return true;
  }
  if (value === null) return true;
  if (depth > CUT) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype) {
    for (const k in value) if (!ordinaryKey(k) || !plain((value as Record<string, unknown>)[k], depth + 1)) return false;
    return true;
  }
  if (proto === Array.prototype) {
    const array = value as unknown[];
    if (!isDense(array)) return false;
    for (let i = 0; i < array.length; i++) {
      const v = array[i];
      // Numbers inline: an atom's keys and values are mostly numbers, and a call each cost as much as packing them.
      if (typeof v === "number" ? v === 0 && 1 / v < 0 : !plain(v, depth + 1)) return false;
    }
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
  return proto !== null && PLAIN_LEAVES.has(proto);
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
