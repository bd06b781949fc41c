/**
 * The data policy: which values can live in a snapshot (task state, parked continuations,
 * events in flight). One policy, read by both sides that enforce it: the snapshot codec
 * (`runtime/state/codec.ts`) at run time, and the compiler's check of locals that live across
 * an await (`compiler/core/serializable.ts`) at build time. See docs/snapshots.md ("What is
 * data").
 *
 * Data is: primitives (including `undefined`, `bigint`, `-0`, `NaN`), plain objects (prototype
 * `Object.prototype` or `null`), arrays, and instances of the built-in classes listed in
 * {@link DATA_CLASSES}; errors (kept with name, message, stack and cause); and instances of
 * classes an application registers with `app.dataClass(...)`. Classes are matched exactly (an
 * instance of a subclass would come back as its base class), except errors. Anything else, notably functions,
 * symbols, promises, weak collections and other class instances, is not.
 *
 * This module is shared by the ES module runtime and the CommonJS compiler build, so it
 * imports nothing.
 */

/** Built-in classes whose instances the codec stores as they are (besides plain objects and arrays). */
export const DATA_CLASSES: readonly string[] = [
  "Map",
  "Set",
  "Date",
  "RegExp",
  "ArrayBuffer",
  "DataView",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
];

/**
 * Built-in error classes. An error is data: it is stored with its name, message, stack and cause
 * (an `AggregateError` with its errors); an error class registered with `app.dataClass` comes
 * back as that class, any other as the nearest of these it extends.
 */
export const ERROR_CLASSES: readonly string[] = ["Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError", "AggregateError"];

/**
 * The framework's own classes that are data: a portal request handle (`portal.request(...)`
 * returns one; a continuation may keep it across an await) and a portal ref (stored by its
 * path; the type users see is the interface `PortalRef`). Its errors are errors.
 */
export const FRAMEWORK_DATA_CLASSES: readonly string[] = ["RequestHandle", "PortalRefValue", "PortalRef"];

/** Built-in classes whose instances are never data, with what to call them in messages. */
export const NEVER_DATA: Readonly<Record<string, string>> = {
  Promise: "a Promise",
  WeakMap: "a WeakMap",
  WeakSet: "a WeakSet",
  WeakRef: "a WeakRef",
  FinalizationRegistry: "a FinalizationRegistry",
  Function: "a function",
  Symbol: "a symbol",
};

/**
 * How the policy sees instances of the class named `name` when nothing else is known about it:
 * `"data"` for plain containers, built-in data classes and errors; the phrase for what it is
 * (`"a Promise"`) for a class that is never data; `undefined` for any other class (data only if
 * registered).
 */
export function classVerdict(name: string): "data" | string | undefined {
  if (name === "Object" || name === "Array" || DATA_CLASSES.includes(name) || ERROR_CLASSES.includes(name) || FRAMEWORK_DATA_CLASSES.includes(name)) return "data";
  return NEVER_DATA[name];
}

/**
 * How to store instances of one application class (`app.dataClass(...)`): the codec writes
 * `encode(instance)` with `name`, and rebuilds the instance with `decode` on restore.
 */
export interface DataClass<T extends object> {
  /** Unique name written into snapshots, e.g. `shop.Money`; keep it when the class is renamed. */
  readonly name: string;
  /** The class; instances are recognised by their exact prototype. */
  readonly type: abstract new (...args: any[]) => T;
  /** The instance as data the codec can store (it may contain registered instances). */
  encode(value: T): unknown;
  /** The instance back from that data. */
  decode(data: any): T;
}
