/**
 * What a JSON-lines sink can write: an event becomes one line of `JSON.stringify`, but only
 * when JSON holds it as it is. Everything else that state and events may hold (docs/snapshots.md,
 * "What is data") would be written wrong without a word: a bigint throws, `NaN` and `undefined`
 * in an array become `null`, a `Map` becomes `{}`, a function property vanishes. Such an event
 * is refused with the path to the value, so the sink can report it instead of writing it.
 */

/** An event JSON cannot hold as it is: where in it, and what was found. */
export interface JsonProblem {
  /** Path from the event, e.g. `event.items[2].price`. */
  readonly path: string;
  /** What is there and what to do, e.g. `a bigint (JSON has no bigint)`. */
  readonly found: string;
}

/** Deeper than this, `JSON.stringify` may run out of stack (it recurses). */
export const MAX_JSON_DEPTH = 1000;

interface Frame {
  readonly value: object;
  /** Its place in its parent, e.g. `.items` or `[2]` (the root's is the root name). */
  readonly label: string;
  readonly keys: readonly string[];
  readonly array: boolean;
  i: number;
}

/** `.key`, or `["key"]` when the key is not an identifier. */
function keyLabel(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * The problem that keeps `JSON.stringify(event)` from writing `event` as it is, or `undefined`
 * when it writes it faithfully. Accepted: `null`, booleans, strings, finite numbers, arrays
 * without holes or `undefined`, objects whose prototype is `Object.prototype` or `null`
 * (`undefined` properties are left out, as JSON does), and objects with a `toJSON` method
 * (a `Date` is written as its ISO string), whose result is checked in turn.
 */
export function jsonProblem(event: unknown, root = "event"): JsonProblem | undefined {
  const open = new Set<object>();
  const stack: Frame[] = [];
  // Checks one value, the element or property `key` of the frame on top (its path is built only
  // for a problem); pushes a frame when it is an object or array to look into.
  const visit = (raw: unknown, key: string, inArray: boolean): JsonProblem | undefined => {
    const label = (): string => (stack.length === 0 ? root : inArray ? `[${key}]` : keyLabel(key));
    const at = (): string => stack.map((f) => f.label).join("") + label();
    let value = raw;
    if (typeof value === "object" && value !== null && typeof (value as { toJSON?: unknown }).toJSON === "function") {
      value = (value as { toJSON(key: string): unknown }).toJSON(key);
    }
    switch (typeof value) {
      case "string":
      case "boolean":
        return undefined;
      case "number":
        return Number.isFinite(value) ? undefined : { path: at(), found: `${value} (JSON writes it as null)` };
      case "bigint":
        return { path: at(), found: "a bigint (JSON has no bigint; convert it, e.g. with String(x))" };
      case "undefined":
        return inArray || stack.length === 0 ? { path: at(), found: "undefined (JSON writes it as null, or not at all)" } : undefined;
      case "function":
        return { path: at(), found: "a function (JSON leaves it out)" };
      case "symbol":
        return { path: at(), found: "a symbol (JSON leaves it out)" };
    }
    if (value === null) return undefined;
    const object = value as object;
    const proto = Object.getPrototypeOf(object) as object | null;
    const array = proto === Array.prototype;
    if (!array && proto !== Object.prototype && proto !== null) {
      const name = (proto.constructor as { name?: string } | undefined)?.name ?? "(anonymous)";
      return { path: at(), found: `an instance of ${name} (JSON writes only plain objects and arrays; map it to plain data, or give the class a toJSON method)` };
    }
    if (open.has(object)) return { path: at(), found: "a cycle (the value contains itself, which JSON cannot write)" };
    if (stack.length >= MAX_JSON_DEPTH) return { path: at(), found: `a value nested more than ${MAX_JSON_DEPTH} levels deep` };
    const keys = Object.keys(object);
    if (array) {
      // Object.keys lists the indices first, so another property shows as the last key.
      if (keys.length > 0 && !isIndex(keys[keys.length - 1]!)) {
        return { path: `${at()}.${keys.find((k) => !isIndex(k))}`, found: "a property of an array (JSON writes only its elements)" };
      }
    }
    open.add(object);
    stack.push({ value: object, label: label(), keys: array ? [] : keys, array, i: 0 });
    return undefined;
  };
  let problem = visit(event, "", false);
  while (problem === undefined && stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.array) {
      const items = frame.value as unknown[];
      if (frame.i >= items.length) {
        open.delete(stack.pop()!.value);
        continue;
      }
      const i = frame.i++;
      problem = i in items ? visit(items[i], String(i), true) : { path: `${stack.map((f) => f.label).join("")}[${i}]`, found: "an empty slot of a sparse array (JSON writes it as null)" };
    } else {
      if (frame.i >= frame.keys.length) {
        open.delete(stack.pop()!.value);
        continue;
      }
      const key = frame.keys[frame.i++]!;
      problem = visit((frame.value as Record<string, unknown>)[key], key, false);
    }
  }
  return problem;
}

function isIndex(key: string): boolean {
  return key === String(Number(key) >>> 0);
}
