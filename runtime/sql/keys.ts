/**
 * Which primary keys a WHERE clause can match, as sorted intervals (docs/sql.md, "Planning"). The
 * planner reads only those keys: points go straight to their rows, ranges through the table's
 * key index. The full WHERE is still evaluated on every row read, so the intervals only have to
 * cover the matching keys, never to be exact: `k = 5 OR v = 3` covers every key.
 */
import type { Expr } from "pgsql-ast-parser";
import type { Key } from "../core/key.js";
import type { SqlValue } from "./protocol.js";
import { compile, inList, type CompileContext, type Compiled } from "./expr.js";
import { describe } from "./schema.js";
import { SqlError } from "./sql-error.js";

/** One end of an interval; `null` for no bound. */
export interface Bound {
  readonly value: Key;
  readonly inclusive: boolean;
}

/** The keys between `lo` and `hi`. */
export interface Interval {
  readonly lo: Bound | null;
  readonly hi: Bound | null;
}

/** Sorted, disjoint intervals of keys; `null` means every key. */
export type KeyRanges = readonly Interval[] | null;

/** The key intervals of a WHERE clause, given the statement's parameters. */
export type KeyPlan = (params: readonly SqlValue[]) => KeyRanges;

const EVERY: KeyPlan = () => null;

/** Orders two keys of one table (all numbers or all strings). */
export function compareKeys(a: Key, b: Key): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Plans the key intervals of `where` (`null`: no WHERE, every key). */
export function keyPlan(where: Expr | null | undefined, cx: CompileContext): KeyPlan {
  return where == null ? EVERY : extract(where, cx);
}

function extract(expr: Expr, cx: CompileContext): KeyPlan {
  if (expr.type === "binary") {
    if (expr.op === "AND" || expr.op === "OR") {
      const left = extract(expr.left, cx);
      const right = extract(expr.right, cx);
      if (expr.op === "AND") return left === EVERY ? right : right === EVERY ? left : (p) => intersect(left(p), right(p));
      return left === EVERY || right === EVERY ? EVERY : (p) => union(left(p), right(p));
    }
    if (expr.op === "IN" && isKey(expr.left, cx)) {
      const items = inList(expr.right, expr, cx).map((e) => constant(e, cx));
      if (items.some((i) => i === null)) return EVERY;
      return (p) => union(items.map((i) => point(key(i!({ row: null, params: p }), cx))).filter((i) => i !== null), []);
    }
    const flipped: Record<string, string> = { "=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<=" };
    if (expr.op in flipped) {
      const [side, other, op] = isKey(expr.left, cx) ? [expr.left, expr.right, expr.op] : isKey(expr.right, cx) ? [expr.right, expr.left, flipped[expr.op]!] : [null, null, ""];
      if (side === null) return EVERY;
      const value = constant(other!, cx);
      if (value === null) return EVERY;
      return (p) => {
        const v = key(value({ row: null, params: p }), cx);
        if (v === null) return [];
        const bound = { value: v, inclusive: op.length === 2 || op === "=" };
        if (op === "=") return [{ lo: bound, hi: bound }];
        return [op.startsWith("<") ? { lo: null, hi: bound } : { lo: bound, hi: null }];
      };
    }
    return EVERY;
  }
  if (expr.type === "ternary" && expr.op === "BETWEEN" && isKey(expr.value, cx)) {
    const lo = constant(expr.lo, cx);
    const hi = constant(expr.hi, cx);
    if (lo === null || hi === null) return EVERY;
    return (p) => {
      const a = key(lo({ row: null, params: p }), cx);
      const b = key(hi({ row: null, params: p }), cx);
      if (a === null || b === null || compareKeys(a, b) > 0) return [];
      return [{ lo: { value: a, inclusive: true }, hi: { value: b, inclusive: true } }];
    };
  }
  return EVERY;
}

function isKey(expr: Expr, cx: CompileContext): boolean {
  return expr.type === "ref" && expr.name === cx.schema.columns[cx.schema.key] && (expr.table == null || expr.table.name === cx.schema.table);
}

/** `expr` compiled when it reads no column, else `null`. */
function constant(expr: Expr, cx: CompileContext): Compiled | null {
  const probe: CompileContext = { schema: cx.schema, at: cx.at, params: 0, refs: 0 };
  const compiled = compile(expr, probe);
  return probe.refs === 0 ? compiled : null;
}

/** A constant compared with the key, as a key; `null` for NULL (which matches nothing). */
function key(value: SqlValue, cx: CompileContext): Key | null {
  if (value === null) return null;
  const type = cx.schema.types[cx.schema.key];
  const kind = type === "text" ? "string" : "number";
  if (typeof value !== kind) throw new SqlError("type", `the primary key ${cx.schema.columns[cx.schema.key]} is ${type}; it is compared with ${describe(value)}`);
  return value as Key;
}

function point(value: Key | null): Interval | null {
  if (value === null) return null;
  const bound = { value, inclusive: true };
  return { lo: bound, hi: bound };
}

/** True when `ranges` are single keys only; they are then read without the index. */
export function pointsOf(ranges: readonly Interval[]): Key[] | null {
  const keys: Key[] = [];
  for (const r of ranges) {
    if (r.lo === null || r.hi === null || !r.lo.inclusive || !r.hi.inclusive || r.lo.value !== r.hi.value) return null;
    keys.push(r.lo.value);
  }
  return keys;
}

/** True when `key` lies in one of `ranges` (`null`: every key). */
export function inRanges(key: Key, ranges: KeyRanges): boolean {
  if (ranges === null) return true;
  return ranges.some((r) => aboveLo(key, r.lo) && belowHi(key, r.hi));
}

function aboveLo(key: Key, lo: Bound | null): boolean {
  if (lo === null) return true;
  const c = compareKeys(key, lo.value);
  return c > 0 || (c === 0 && lo.inclusive);
}

function belowHi(key: Key, hi: Bound | null): boolean {
  if (hi === null) return true;
  const c = compareKeys(key, hi.value);
  return c < 0 || (c === 0 && hi.inclusive);
}

/** Lower bounds in order: no bound first, then by value, inclusive before exclusive. */
function compareLo(a: Bound | null, b: Bound | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return compareKeys(a.value, b.value) || (a.inclusive === b.inclusive ? 0 : a.inclusive ? -1 : 1);
}

/** Upper bounds in order: by value, exclusive before inclusive, no bound last. */
function compareHi(a: Bound | null, b: Bound | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return compareKeys(a.value, b.value) || (a.inclusive === b.inclusive ? 0 : a.inclusive ? 1 : -1);
}

/** True when an interval ending at `hi` touches or overlaps one starting at `lo`. */
function meets(hi: Bound | null, lo: Bound | null): boolean {
  if (hi === null || lo === null) return true;
  const c = compareKeys(hi.value, lo.value);
  return c > 0 || (c === 0 && (hi.inclusive || lo.inclusive));
}

function empty(r: Interval): boolean {
  return r.lo !== null && r.hi !== null && !meets(r.hi, r.lo);
}

/** The union of two interval lists, sorted and merged. */
export function union(a: KeyRanges, b: KeyRanges): KeyRanges {
  if (a === null || b === null) return null;
  const all = [...a, ...b].filter((r) => !empty(r)).sort((x, y) => compareLo(x.lo, y.lo));
  const merged: Interval[] = [];
  for (const r of all) {
    const last = merged[merged.length - 1];
    if (last !== undefined && meets(last.hi, r.lo)) merged[merged.length - 1] = { lo: last.lo, hi: compareHi(last.hi, r.hi) >= 0 ? last.hi : r.hi };
    else merged.push(r);
  }
  return merged;
}

/** The intersection of two interval lists. */
export function intersect(a: KeyRanges, b: KeyRanges): KeyRanges {
  if (a === null) return b;
  if (b === null) return a;
  const out: Interval[] = [];
  for (const x of a) {
    for (const y of b) {
      const r = { lo: compareLo(x.lo, y.lo) >= 0 ? x.lo : y.lo, hi: compareHi(x.hi, y.hi) <= 0 ? x.hi : y.hi };
      if (!empty(r)) out.push(r);
    }
  }
  return union(out, []);
}
