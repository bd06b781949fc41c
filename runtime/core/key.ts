/**
 * Keys: what a workflow's `key` step returns and what per-key state, portal routing and
 * continuations are scoped by (docs/semantics.md, rule 3).
 */

/** A key of an event: a string or a finite number. Events without a `key` step have key `0`. */
export type Key = string | number;

/**
 * Returns `key` when it is a valid key (a string or a finite number).
 *
 * @param problem the message for an invalid key, given how the key shows (`"undefined"`,
 *   `"NaN"`, `"object"`, …), so each caller names where the key came from
 * @throws TypeError with `problem(shown)` for anything else
 */
export function checkKey(key: unknown, problem: (shown: string) => string): Key {
  if (typeof key === "string" || (typeof key === "number" && Number.isFinite(key))) return key;
  throw new TypeError(problem(typeof key === "number" ? String(key) : typeof key));
}
