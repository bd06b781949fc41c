/**
 * The rows of a table (docs/sql.md, "Rows and locks"): one row per primary key in per-key
 * state, the key's lock and a transaction's buffered write next to it, and the ordered index of
 * the keys that have a committed row in the task's per-task state. The index changes in the same
 * request that changes a row's existence, so it is consistent with the rows in every snapshot.
 *
 * Locks are no-wait: a request that needs a key another transaction holds is refused at once
 * with `conflict`, and the asking statement aborts its transaction. Readers in a transaction take
 * shared locks, writers exclusive ones; a statement outside a transaction reads committed rows
 * without locks and writes only keys nobody holds.
 */
import type { Key } from "../core/key.js";
import type { SqlFailure, SqlValue } from "./protocol.js";
import { compareKeys, inRanges, type Interval, type KeyRanges } from "./keys.js";
import { planOf, type WritePlan } from "./plan.js";
import { checkRow, type Row, type Schema } from "./schema.js";
import { SqlError, failureOf } from "./sql-error.js";

/** A row request of the table to its own portal, served under `key`. `txn` is the lock owner (`null`: none). */
export type RowRequest =
  | { readonly op: "read"; readonly key: Key; readonly txn: string | null }
  | { readonly op: "write"; readonly key: Key; readonly txn: string | null; readonly sql: string; readonly params: readonly SqlValue[]; readonly row: Row | null }
  | { readonly op: "end"; readonly key: Key; readonly txn: string; readonly commit: boolean }
  | { readonly op: "scan"; readonly key: Key; readonly ranges: KeyRanges }
  | { readonly op: "turn"; readonly key: Key };

/** The answer to a row request. */
export type RowReply = { readonly row: Row | null } | { readonly affected: number } | { readonly keys: readonly Key[] } | { readonly done: true } | SqlFailure;

/** A key's lock: the exclusive holder, the shared holders, and the holder's buffered write. */
export interface Lock {
  x: string | null;
  s: string[];
  /** The exclusive holder's write: the row it will commit (`null`: a delete); absent: none yet. */
  write?: { row: Row | null };
}

/** Where the table's task keeps a key's row and lock, and the index (the task's state). */
export interface RowStore {
  row(): Row | null;
  setRow(row: Row | null): void;
  lock(): Lock | null;
  setLock(lock: Lock | null): void;
  /** The sorted keys that have a committed row (changed in place). */
  index(): Key[];
}

/** Serves one request on the state of its key. Never throws: a failure is the answer. */
export function serveRow(schema: Schema, request: RowRequest, store: RowStore): RowReply {
  try {
    switch (request.op) {
      case "turn":
        return { done: true };
      case "scan":
        return { keys: scan(store.index(), request.ranges) };
      case "read":
        return read(request.key, request.txn, store);
      case "write":
        return write(schema, request, store);
      case "end":
        return end(request.key, request.txn, request.commit, store);
    }
  } catch (thrown) {
    return failureOf(thrown);
  }
}

function read(key: Key, txn: string | null, store: RowStore): RowReply {
  if (txn === null) return { row: store.row() };
  const lock = store.lock() ?? { x: null, s: [] };
  if (lock.x !== null && lock.x !== txn) throw conflict(key, lock.x);
  if (lock.x === txn) return { row: lock.write !== undefined ? lock.write.row : store.row() };
  if (!lock.s.includes(txn)) {
    lock.s.push(txn);
    store.setLock(lock);
  }
  return { row: store.row() };
}

function write(schema: Schema, request: Extract<RowRequest, { op: "write" }>, store: RowStore): RowReply {
  const { key, txn } = request;
  const lock = store.lock();
  const holder = lock === null ? null : (lock.x ?? lock.s.find((t) => t !== txn) ?? null);
  if (holder !== null && holder !== txn) throw conflict(key, holder);
  const visible = lock !== null && lock.x === txn && lock.write !== undefined ? lock.write.row : store.row();
  const plan = planOf(schema, request.sql) as WritePlan;
  const next = apply(schema, plan, visible, request.row, request.params);
  if (next === undefined) return { affected: 0 };
  if (next !== null) checkRow(schema, next);
  if (txn === null) commitRow(key, next, store);
  else store.setLock({ x: txn, s: [], write: { row: next } });
  return { affected: 1 };
}

/** The row after `plan` on `visible`: a row, `null` (deleted) or `undefined` (unchanged, not counted). */
function apply(schema: Schema, plan: WritePlan, visible: Row | null, inserted: Row | null, params: readonly SqlValue[]): Row | null | undefined {
  switch (plan.kind) {
    case "insert": {
      if (visible === null) return inserted;
      const conflict = plan.onConflict;
      if (conflict.kind === "error") {
        throw new SqlError("constraint", `duplicate key: ${schema.table} has a row with ${schema.columns[schema.key]} = ${JSON.stringify(visible[schema.key])}; use INSERT … ON CONFLICT (${schema.columns[schema.key]}) DO UPDATE SET … or DO NOTHING`);
      }
      if (conflict.kind === "nothing") return undefined;
      const scope = { row: visible, params, excluded: inserted! };
      if (conflict.where !== null && !conflict.where(scope)) return undefined;
      const next = [...visible];
      for (const [column, value] of conflict.sets) next[column] = value(scope);
      return next;
    }
    case "update": {
      if (visible === null) return undefined;
      const scope = { row: visible, params };
      if (plan.filter !== null && !plan.filter(scope)) return undefined;
      const next = [...visible];
      for (const [column, value] of plan.sets) next[column] = value(scope);
      return next;
    }
    case "delete": {
      if (visible === null) return undefined;
      if (plan.filter !== null && !plan.filter({ row: visible, params })) return undefined;
      return null;
    }
  }
}

function end(key: Key, txn: string, commit: boolean, store: RowStore): RowReply {
  const lock = store.lock();
  if (lock === null) return { done: true };
  if (lock.x === txn) {
    if (commit && lock.write !== undefined) commitRow(key, lock.write.row, store);
    lock.x = null;
    delete lock.write;
  }
  lock.s = lock.s.filter((t) => t !== txn);
  store.setLock(lock.x === null && lock.s.length === 0 ? null : lock);
  return { done: true };
}

/** Stores a committed row (or its deletion) and keeps the index in step. */
function commitRow(key: Key, row: Row | null, store: RowStore): void {
  const existed = store.row() !== null;
  store.setRow(row);
  if (existed === (row !== null)) return;
  const index = store.index();
  const at = lowerBound(index, key);
  if (row === null) index.splice(at, 1);
  else index.splice(at, 0, key);
}

function conflict(key: Key, holder: string): SqlError {
  const hash = holder.lastIndexOf("#");
  const who = hash < 0 ? "another statement's transaction" : `the transaction of session ${JSON.stringify(holder.slice(0, hash))}`;
  return new SqlError("conflict", `key ${JSON.stringify(key)} is locked by ${who}`);
}

/** First position in sorted `keys` whose key is not below `key`. */
function lowerBound(keys: readonly Key[], key: Key): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The keys of the sorted index within `ranges`, in order. */
export function scan(index: readonly Key[], ranges: KeyRanges): Key[] {
  if (ranges === null) return index.slice();
  const out: Key[] = [];
  for (const r of ranges as readonly Interval[]) {
    let i = r.lo === null ? 0 : lowerBound(index, r.lo.value);
    for (; i < index.length; i++) {
      const key = index[i]!;
      if (r.hi !== null && (compareKeys(key, r.hi.value) > 0 || (!r.hi.inclusive && key === r.hi.value))) break;
      if (inRanges(key, [r])) out.push(key);
    }
  }
  return out;
}
