/**
 * How events are printed by `logger`: primitives as `String(x)`, objects and arrays
 * as compact JSON. Values JSON cannot hold are written so they stay recognisable: `bigint` as
 * `12n`, `Map` as an array of entries, `Set` as an array, `undefined` inside objects dropped.
 */

/** Formats one event for a log line. */
export function format(event: unknown): string {
  if (event === null || typeof event !== "object") return typeof event === "bigint" ? `${event}n` : String(event);
  return JSON.stringify(event, replacer);
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Map) return [...value];
  if (value instanceof Set) return [...value];
  return value;
}
