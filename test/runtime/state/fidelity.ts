/**
 * What "indistinguishable" means for the codec's tests (`difference`), and a snapshot-like value
 * with every kind of data the codec keeps (`sample`). Both run in Node and, bundled for the
 * browser, in a bare ECMAScript context (`browser-codec.test.ts`): they use no Node API.
 */
import { RequestHandle } from "../../../runtime/core/machine.js";

/**
 * Why `b` is not indistinguishable from `a`, or `undefined`: same prototypes, same own keys in
 * the same order (holes stay holes), same primitives by `Object.is`, same entries of Maps and
 * Sets, errors' name, message, stack and cause, the same bytes, offsets and buffers of views,
 * and the same sharing (a bijection of objects, buffers included).
 */
export function difference(a: unknown, b: unknown, path = "value", pairs = new Map<unknown, unknown>()): string | undefined {
  if (typeof a !== "object" || a === null) return Object.is(a, b) ? undefined : `${path}: ${String(a)} became ${String(b)}`;
  if (typeof b !== "object" || b === null) return `${path}: an object became ${String(b)}`;
  if (pairs.has(a)) return pairs.get(a) === b ? undefined : `${path}: a shared reference is no longer shared`;
  pairs.set(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: the prototype changed`;
  if (a instanceof Error) {
    const e = b as Error;
    for (const field of ["name", "message", "stack"] as const) if (a[field] !== e[field]) return `${path}.${field}: ${a[field]} became ${e[field]}`;
    if (Object.hasOwn(a, "cause") !== Object.hasOwn(e, "cause")) return `${path}.cause: present in one only`;
    if (Object.hasOwn(a, "cause")) return difference(a.cause, e.cause, `${path}.cause`, pairs);
    if (a instanceof AggregateError) return difference(a.errors, (e as AggregateError).errors, `${path}.errors`, pairs);
    return undefined;
  }
  if (a instanceof Map || a instanceof Set) {
    const x = [...(a as Map<unknown, unknown>)];
    const y = [...(b as Map<unknown, unknown>)];
    return difference(x, y, `${path}.entries`, new Map([...pairs].filter(([k]) => k !== x)));
  }
  if (a instanceof ArrayBuffer) {
    const [x, y] = [new Uint8Array(a), new Uint8Array(b as ArrayBuffer)];
    return x.length === y.length && x.every((byte, i) => byte === y[i]) ? undefined : `${path}: the bytes changed`;
  }
  if (ArrayBuffer.isView(a)) {
    const v = b as ArrayBufferView;
    if (a.byteOffset !== v.byteOffset || a.byteLength !== v.byteLength) return `${path}: the view moved from ${a.byteOffset}+${a.byteLength} to ${v.byteOffset}+${v.byteLength}`;
    return difference(a.buffer, v.buffer, `${path}.buffer`, pairs);
  }
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime()) ? undefined : `${path}: ${String(a)} became ${String(b)}`;
  if (a instanceof RegExp) return String(a) === String(b) ? undefined : `${path}: ${String(a)} became ${String(b)}`;
  if (a instanceof RequestHandle) return a.portal === (b as RequestHandle).portal && a.requestId === (b as RequestHandle).requestId ? undefined : `${path}: another request`;
  const keys = Object.keys(a);
  const otherKeys = Object.keys(b);
  if (keys.join("\u0000") !== otherKeys.join("\u0000")) return `${path}: keys [${keys}] became [${otherKeys}]`;
  if (Array.isArray(a) && a.length !== (b as unknown[]).length) return `${path}.length changed`;
  for (const k of keys) {
    const d = difference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, pairs);
    if (d !== undefined) return d;
  }
  return undefined;
}

/**
 * A snapshot-like value holding every kind of data the codec keeps: per-key state in Maps,
 * Sets, Dates, RegExps, bigints, `undefined`, -0, NaN, ±Infinity, holes and array properties,
 * null prototypes, a `__proto__` key, lone surrogates, errors with causes, views sharing a
 * buffer, a framework class, shared references, a cycle and a deep chain. The same on every
 * call and in every realm: errors get a fixed stack, so the bytes of two realms can be compared.
 */
export function sample(keys = 1_000): Record<string, unknown> {
  const perKey = new Map<string, unknown>();
  for (let i = 0; i < keys; i++) perKey.set(`user-${i}`, { count: i, total: i * 2.5, last: i % 3 === 0 ? undefined : `item ${i}` });
  const sparse: unknown[] & { label?: string } = [1, , 3, , ];
  sparse.label = "extra";
  const buffer = new ArrayBuffer(16);
  new Float64Array(buffer)[1] = -0;
  const cause = Object.assign(new RangeError("too far", { cause: { meters: -0 } }), { code: "E_FAR" });
  const error = new TypeError("bad \uD800 input", { cause });
  for (const e of [cause, error]) e.stack = `${e.name}: ${e.message}\n    at sample (fidelity.ts)`;
  const shared = { n: NaN };
  let deep: unknown = "bottom";
  for (let i = 0; i < 2_000; i++) deep = { next: deep };
  const value: Record<string, unknown> = {
    kind: "full",
    sequence: 7,
    workflows: { "/shop/workflows/cart": { perKey: new Map([["cart", perKey]]), tags: new Set(["a", 1, 2n ** 70n]) } },
    at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
    invalid: new Date(NaN),
    pattern: /a+b/giu,
    numbers: [-0, NaN, Infinity, -Infinity, 2 ** 53 + 2, -(2 ** 31) - 1, 0.1],
    bigints: [0n, -1n, 2n ** 63n, -(2n ** 64n), 7n ** 200n],
    nothing: undefined,
    holes: sparse,
    nullProto: Object.assign(Object.create(null) as object, { x: 1 }),
    protoKey: JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as unknown,
    lone: { "\uDC00key": "value \uD83D", ok: "\uD83D\uDE00 pair" },
    errors: [error, new AggregateError([cause], "several")],
    views: { whole: new Float64Array(buffer), part: new Uint8Array(buffer, 8, 8), data: new DataView(buffer, 4, 4), bytes: new Uint8Array([1, 2, 3]) },
    handle: new RequestHandle("/shop/portals/stock", 42),
    shared,
    again: shared,
    deep,
  };
  (value.errors as Error[])[1]!.stack = "AggregateError: several\n    at sample (fidelity.ts)";
  value.self = value;
  return value;
}
