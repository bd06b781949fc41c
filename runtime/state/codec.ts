/**
 * The snapshot codec: values to bytes and back, for whole snapshots (docs/snapshots.md) and
 * the compiler tests' suspended frames. What it accepts is the data policy of
 * `core/data.ts`. The bytes are V8's structured serialization (`node:v8`), which keeps `Map`, `Set`,
 * `Date`, `RegExp`, `BigInt`, typed arrays, `undefined`, `-0`, `NaN`, shared references and
 * cycles. Before that, a check walks the value once without allocating; plain data (the common
 * case) is then serialized as it is, and decoding is V8's alone. Otherwise a careful walk makes
 * a copy that handles what V8 would silently flatten:
 *
 *   - an instance of a registered class ({@link Codec.register}, from `app.dataClass`) is
 *     written as its `encode` data with the class's name and rebuilt by its `decode`;
 *   - an `Error` keeps its `name` and `message` (and `cause`); a registered error type gets its
 *     class back, any other error comes back as an `Error` with the same name and message;
 *   - any other class instance (and functions, symbols, promises, weak collections) is
 *     rejected with the path to it, instead of coming back as a plain object.
 */
import { deserialize, serialize } from "node:v8";
import { DATA_CLASSES, type DataClass } from "../core/data.js";
import { OperatorError, PortalRequestError, type HookName } from "../core/errors.js";
import { RequestHandle } from "../core/machine.js";

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

const TAG = "\u0000portals:type";
const DATA = "\u0000portals:data";
const ERROR = "\u0000portals:error";

/**
 * Prototypes of the built-in data classes stored as they are, with nothing inside to walk (Date,
 * RegExp, buffers, typed arrays). Exact prototypes: an instance of a subclass (a `Buffer`, a class
 * extending `Map`) would come back as its base class, so it is not data unless registered.
 */
const LEAF_PROTOTYPES: ReadonlySet<object> = new Set(
  DATA_CLASSES.filter((name) => name !== "Map" && name !== "Set")
    .map((name) => (globalThis as unknown as Record<string, { prototype: object } | undefined>)[name]?.prototype)
    .filter((proto): proto is object => proto !== undefined),
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
    try {
      plain(value, 0);
    } catch (thrown) {
      if (thrown !== SLOW) throw thrown;
      // Something to tag or to reject, or a cycle: the careful walk copies, names, or shares.
      return serialize({ tagged: true, value: this.toTagged(value, root, new Map()) });
    }
    return serialize({ tagged: false, value });
  }

  /** The value of `bytes` written by {@link encode}. */
  decode(bytes: Uint8Array): unknown {
    const { tagged, value } = deserialize(bytes) as { tagged: boolean; value: unknown };
    return tagged ? this.fromTagged(value, new Map()) : value;
  }

  /** Tags registered instances and errors, checks everything, names the path of a problem. */
  private toTagged(value: unknown, path: string, seen: Map<object, unknown>): unknown {
    if (typeof value === "function") throw new EncodeError(path, `a function${value.name ? ` (${value.name})` : ""}`);
    if (typeof value === "symbol") throw new EncodeError(path, "a symbol");
    if (typeof value !== "object" || value === null) return value;
    const done = seen.get(value);
    if (done !== undefined) return done;
    const proto = Object.getPrototypeOf(value) as object | null;
    const registered = proto === null ? undefined : this.byPrototype.get(proto);
    if (registered !== undefined) {
      const out: Record<string, unknown> = { [TAG]: registered.name };
      seen.set(value, out);
      out[DATA] = this.toTagged(registered.encode(value), `${path}<${registered.name}>`, seen);
      return out;
    }
    if (value instanceof Error) {
      const out: Record<string, unknown> = { [ERROR]: true, name: value.name, message: value.message };
      seen.set(value, out);
      if ("cause" in value) out.cause = this.toTagged(value.cause, `${path}.cause`, seen);
      return out;
    }
    if (proto === Array.prototype) {
      const array = value as unknown[];
      const out: unknown[] = [];
      seen.set(value, out);
      for (let i = 0; i < array.length; i++) out.push(this.toTagged(array[i], `${path}[${i}]`, seen));
      return out;
    }
    if (proto === Map.prototype) {
      const map = value as Map<unknown, unknown>;
      const out = new Map();
      seen.set(value, out);
      let i = 0;
      for (const [k, v] of map) {
        out.set(this.toTagged(k, `${path}.keys[${i}]`, seen), this.toTagged(v, `${path}.get(${describeKey(k)})`, seen));
        i++;
      }
      return out;
    }
    if (proto === Set.prototype) {
      const out = new Set();
      seen.set(value, out);
      let i = 0;
      for (const v of value as Set<unknown>) out.add(this.toTagged(v, `${path}.values[${i++}]`, seen));
      return out;
    }
    if (proto !== null && LEAF_PROTOTYPES.has(proto)) return value;
    if (proto !== Object.prototype && proto !== null) throw new EncodeError(path, `an instance of class ${proto.constructor?.name ?? "(anonymous)"}`);
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const key of Object.keys(value)) out[key] = this.toTagged((value as Record<string, unknown>)[key], `${path}.${key}`, seen);
    return out;
  }

  private fromTagged(value: unknown, seen: Map<object, unknown>): unknown {
    if (typeof value !== "object" || value === null) return value;
    const done = seen.get(value);
    if (done !== undefined) return done;
    if (Array.isArray(value)) {
      seen.set(value, value);
      for (let i = 0; i < value.length; i++) value[i] = this.fromTagged(value[i], seen);
      return value;
    }
    if (value instanceof Map) {
      const out = new Map();
      seen.set(value, out);
      for (const [k, v] of value) out.set(this.fromTagged(k, seen), this.fromTagged(v, seen));
      return out;
    }
    if (value instanceof Set) {
      const out = new Set();
      seen.set(value, out);
      for (const v of value) out.add(this.fromTagged(v, seen));
      return out;
    }
    if (Object.getPrototypeOf(value) !== Object.prototype) return value;
    const record = value as Record<string, unknown>;
    if (typeof record[TAG] === "string") {
      const type = this.byName.get(record[TAG]);
      if (type === undefined) throw new TypeError(`codec: the bytes hold an instance of ${record[TAG]}, which is not registered in this process`);
      const decoded = type.decode(this.fromTagged(record[DATA], seen));
      seen.set(value, decoded);
      return decoded;
    }
    if (record[ERROR] === true) {
      const error = new Error(String(record.message));
      error.name = String(record.name);
      seen.set(value, error);
      if ("cause" in record) error.cause = this.fromTagged(record.cause, seen);
      return error;
    }
    seen.set(value, value);
    for (const key of Object.keys(record)) record[key] = this.fromTagged(record[key], seen);
    return value;
  }
}

/** Thrown by {@link plain} when the careful walk must take over. */
const SLOW = Symbol("slow walk");

/** Deeper than this, {@link plain} assumes a cycle and hands over. */
const MAX_DEPTH = 2000;

/**
 * The check of the common case: true data only (primitives, plain objects, arrays, Map, Set,
 * built-in data classes), which V8 serializes as it is. It allocates nothing and keeps no paths
 * or visited set; anything else (a registered instance or an error to tag, something to reject)
 * and anything deeper than {@link MAX_DEPTH} (a cycle) throws {@link SLOW}, and the careful walk
 * ({@link Codec.toTagged}) takes over.
 */
function plain(value: unknown, depth: number): void {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function" || typeof value === "symbol") throw SLOW;
    return;
  }
  if (depth > MAX_DEPTH) throw SLOW;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null) {
    for (const k in value) plain((value as Record<string, unknown>)[k], depth + 1);
  } else if (proto === Array.prototype) {
    const array = value as unknown[];
    for (let i = 0; i < array.length; i++) plain(array[i], depth + 1);
  } else if (proto === Map.prototype) {
    for (const [k, v] of value as Map<unknown, unknown>) {
      plain(k, depth + 1);
      plain(v, depth + 1);
    }
  } else if (proto === Set.prototype) {
    for (const v of value as Set<unknown>) plain(v, depth + 1);
  } else if (!LEAF_PROTOTYPES.has(proto)) {
    throw SLOW;
  }
}

function describeKey(key: unknown): string {
  return typeof key === "string" ? JSON.stringify(key) : typeof key === "object" ? "<object key>" : String(key);
}

/**
 * A codec for one system: the framework's own error types, then `classes` (the data classes of
 * the applications it runs).
 *
 * @throws TypeError when two of `classes` have the same name but not the same class
 */
export function createCodec(classes: readonly DataClass<object>[] = []): Codec {
  const codec = new Codec();
  for (const c of FRAMEWORK_CLASSES) codec.register(c);
  for (const c of classes) codec.register(c);
  return codec;
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
    encode: (e) => ({ portal: e.portal, reason: e.reason }),
    decode: (d: { portal: string; reason: string }) => new PortalRequestError(d.portal, d.reason),
  } satisfies DataClass<PortalRequestError>,
  {
    name: "portals.OperatorError",
    type: OperatorError,
    encode: (e) => ({ workflow: e.workflow, task: e.task, key: e.key, cause: e.cause, hook: e.hook }),
    decode: (d: { workflow: string; task: string; key: string | number; cause: unknown; hook: HookName | undefined }) =>
      new OperatorError(d.workflow, d.task, d.key, d.cause, d.hook),
  } satisfies DataClass<OperatorError>,
] as readonly DataClass<any>[];
