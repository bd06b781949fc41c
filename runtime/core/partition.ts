/**
 * Partitions (docs/cluster.md, "Partitioned applications"): a keyed application run as `count`
 * copies on `count` runtimes, copy `index` taking the events whose key hashes to it. The hash is
 * stable across processes, machines and versions of Node (it names where a key's state lives,
 * which snapshots keep), so it is written here rather than taken from a library that may change it.
 */
import type { Key } from "./key.js";

/** Partition `index` (from 0) of `count`: which share of an application's keys one copy takes. */
export interface Partition {
  /** Which partition, from 0 to `count - 1`. */
  readonly index: number;
  /** How many partitions the application runs as, 1 to 1024. */
  readonly count: number;
}

/** At most this many partitions: far more than runtimes a cluster would run one application on. */
const MAX_PARTITIONS = 1024;

/**
 * The partition (0 to `count - 1`) of `key`: FNV-1a (32 bits) of the key's UTF-16 code units,
 * a string and a number told apart (`"1"` and `1` are two keys, docs/semantics.md, rule 3), modulo
 * `count`.
 */
export function partitionOf(key: Key, count: number): number {
  if (typeof key === "number" && (key | 0) === key) return integerHash(key) % count;
  const text = typeof key === "string" ? `s${key}` : `n${String(key)}`;
  let hash = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME) >>> 0;
  return hash % count;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** The decimal digits of an integer key, least significant first (reused: a partitioned import hashes every event's key). */
const digits = new Uint8Array(10);

/**
 * The hash {@link partitionOf} takes of `"n" + String(key)` for a 32-bit integer, without making
 * the string: an import of a partitioned application hashes every event's key, and the string
 * was most of its cost. `-0` hashes as `0`, as `String(-0)` is `"0"`.
 */
function integerHash(key: number): number {
  let hash = Math.imul(FNV_OFFSET ^ 0x6e /* n */, FNV_PRIME) >>> 0;
  // Negated as a double: -(-2^31) is not a 32-bit integer.
  let rest = key;
  if (rest < 0) {
    hash = Math.imul(hash ^ 0x2d /* - */, FNV_PRIME) >>> 0;
    rest = -rest;
  }
  rest >>>= 0;
  let n = 0;
  do {
    const tenth = (rest / 10) >>> 0;
    digits[n++] = rest - tenth * 10;
    rest = tenth;
  } while (rest !== 0);
  while (n > 0) hash = Math.imul(hash ^ (0x30 + digits[--n]!), FNV_PRIME) >>> 0;
  return hash;
}

/** What is wrong with `partition` as a partition, or `undefined` when it is one. */
export function partitionProblem(partition: Partition): string | undefined {
  const { index, count } = partition;
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) return `a partition count is a whole number from 1 to ${MAX_PARTITIONS}, got ${String(count)}`;
  if (!Number.isInteger(index) || index < 0 || index >= count) return `partition ${String(index)} of ${count}: give an index from 0 to ${count - 1}`;
  return undefined;
}

/**
 * `text` (`"<index>/<count>"`, as `portals deploy --partition 0/2` takes it) as a partition.
 *
 * @throws TypeError naming the text and the shape when it is not one
 */
export function parsePartition(text: string): Partition {
  const match = /^(\d{1,4})\/(\d{1,4})$/.exec(text.trim());
  const partition = match === null ? undefined : { index: Number(match[1]), count: Number(match[2]) };
  const problem = partition === undefined ? "give it as <index>/<count>, e.g. 0/2 for the first of two" : partitionProblem(partition);
  if (problem !== undefined) throw new TypeError(`partition ${JSON.stringify(text)}: ${problem}`);
  return partition!;
}

/** `partition` as `"<index>/<count>"`. */
export function showPartition(partition: Partition): string {
  return `${partition.index}/${partition.count}`;
}

/** `"partition <index>/<count>"` for a message, or `none` when there is no partition. */
export function partitionPhrase(partition: Partition | undefined, none: string): string {
  return partition === undefined ? none : `partition ${showPartition(partition)}`;
}
