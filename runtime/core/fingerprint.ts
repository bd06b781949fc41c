/**
 * Fingerprints and nesting of JSON-like values sent from outside: what tells a retry from
 * another request under the same idempotency key, and how deep a value may nest before the
 * recursive parts of the platform (JSON, fingerprints) would overflow the stack.
 */

/** Deepest nesting of arrays and objects accepted from outside (asks and sends). */
export const MAX_NESTING = 256;

/**
 * A short fingerprint of `value` by its JSON (cyrb53, 53 bits, base 36). Values nested deeper
 * than {@link MAX_NESTING} must be refused before (see {@link nestingOf}).
 */
export function fingerprint(value: unknown): string {
  const text = JSON.stringify(value) ?? "undefined";
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * How deep `value` nests (a scalar 0, `[1]` 1, `[[1]]` 2), counted without recursion and
 * stopping once past `limit` (returns `limit + 1` then).
 */
export function nestingOf(value: unknown, limit = MAX_NESTING): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null || seen.has(v)) continue;
    seen.add(v);
    if (depth + 1 > deepest) deepest = depth + 1;
    if (deepest > limit) return limit + 1;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}
