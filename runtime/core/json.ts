/**
 * Events as JSON where they leave the runtime as text: a tail's Server-Sent Events, and a tail
 * forwarded from the runtime that runs the stream's application to the one a client called
 * (docs/cluster.md, "What works"). One form for both, so a tail reads the same on any runtime.
 */

/** `JSON.stringify` replacer for values JSON has no form for: bigints as strings, Maps and Sets as arrays. */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Map || value instanceof Set) return [...value];
  return value;
}
