/**
 * Running one statement as rounds of rows-portal requests (docs/sql.md, "Execution"). A
 * statement is a {@link Step}: plain data that says which requests to send next; the query
 * task sends them together (`Promise.all`), awaits the replies and calls {@link advance}. Being
 * data, a step is kept in the continuation's frame across awaits and snapshots; the plan is
 * found again by its text.
 *
 * Rounds: a SELECT reads its keys (one round) or scans the index first (two); a write outside a
 * transaction that touches one key is one round; one that touches several keys stages them under
 * a transaction of its own and then commits or rolls back all of them (so it is atomic); inside
 * a session's transaction, reads take shared locks, writes are buffered under exclusive locks,
 * and COMMIT/ROLLBACK end every key the transaction touched. Any failure inside a transaction
 * aborts it: its locks are released at once, and COMMIT then answers that it was aborted.
 */
import type { Key } from "../core/key.js";
import type { SqlReply, SqlRequest, SqlValue } from "./protocol.js";
import { isSqlFailure } from "./protocol.js";
import { compareKeys, inRanges, pointsOf, type KeyRanges } from "./keys.js";
import { count, insertRows, planOf, type Plan } from "./plan.js";
import type { RowReply, RowRequest } from "./rows.js";
import { checkRow, describe, type Row, type Schema } from "./schema.js";
import { failureOf, SqlError } from "./sql-error.js";

/** A session's open transaction: its lock owner id, every key it touched, and why it aborted. */
export interface Txn {
  readonly id: string;
  keys: Key[];
  aborted: string | null;
}

/** What the table's task keeps per session (its per-key state under the session name). */
export interface Session {
  /** The ticket of the next statement to arrive. */
  next: number;
  /** Tickets of the statements waiting or running, in arrival order; the first one runs. */
  queue: number[];
  txn: Txn | null;
  /** Transactions begun so far (numbers their ids). */
  txns: number;
  /** `[seq, answer]` of the latest statements that had a `seq`, oldest first. */
  results: [number, SqlReply][];
}

/** How many answers a session keeps for retries. */
export const KEPT_RESULTS = 64;

/** A new session's state. */
export function newSession(): Session {
  return { next: 0, queue: [], txn: null, txns: 0, results: [] };
}

/** A statement in progress. `requests` empty: it is done and `result` is its answer. */
export interface Step {
  readonly sql: string;
  readonly params: readonly SqlValue[];
  readonly stage: "scan" | "read" | "write" | "end" | "abort" | "done";
  /** The lock owner of the statement's requests (`null`: none). */
  readonly owner: string | null;
  /** True when `owner` is a transaction of this statement alone, which it ends itself. */
  readonly implicit: boolean;
  readonly requests: readonly RowRequest[];
  /** The answer, once known (carried through the rounds that end a transaction). */
  readonly result: SqlReply | null;
  /** The index scan's ranges, for keys the transaction wrote that the index has not yet. */
  readonly ranges: KeyRanges | undefined;
}

const NO_REQUESTS: readonly RowRequest[] = [];

/** What a step carries from round to round. */
type Base = Pick<Step, "sql" | "params" | "owner" | "implicit" | "result">;

/**
 * A step, built with every field named: object spread here (`{ ...base, … }`) cost more than
 * the rest of a point statement (docs/sql.md, "Execution"); one shape also keeps property reads
 * monomorphic.
 */
function makeStep(b: Base, stage: Step["stage"], requests: readonly RowRequest[], result: SqlReply | null, owner = b.owner, implicit = b.implicit, ranges: KeyRanges | undefined = undefined): Step {
  return { sql: b.sql, params: b.params, stage, owner, implicit, requests, result, ranges };
}

/** The key every index request and every turn is served under. */
export const INDEX_KEY = "";

/**
 * Starts `request` in `session` (`null`: a statement on its own), changing the session in place
 * (open or end a transaction, record the keys it will touch).
 *
 * @param implicit makes the id of a transaction of this statement alone, when it needs one
 */
export function start(schema: Schema, request: SqlRequest, session: Session | null, implicit: () => string): Step {
  const params = request.params ?? [];
  const base: Base = { sql: request.sql, params, owner: null, implicit: false, result: null };
  let plan: Plan;
  try {
    plan = planOf(schema, request.sql);
    if (params.length !== plan.params) {
      throw new SqlError("unknown", `the statement uses ${plan.params === 0 ? "no parameters" : `$1 … $${plan.params}`} but ${params.length} parameter${params.length === 1 ? " was" : "s were"} given`);
    }
  } catch (thrown) {
    return fail(base, session, thrown);
  }
  const txn = session?.txn ?? null;
  switch (plan.kind) {
    case "begin":
      if (session === null) return done(base, { error: 'BEGIN needs a session: send "session" with every statement of the transaction', code: "session" });
      if (txn !== null) return done(base, { error: "a transaction is already open in this session; COMMIT or ROLLBACK it first", code: "session" });
      session.txn = { id: `${request.session}#${++session.txns}`, keys: [], aborted: null };
      return done(base, { affected: 0 });
    case "commit":
    case "rollback": {
      if (session === null || txn === null) return done(base, { affected: 0 });
      if (txn.aborted !== null) {
        session.txn = null;
        return done(base, plan.kind === "commit" ? { error: `the transaction was aborted (${txn.aborted}); none of its writes were applied`, code: "aborted" } : { affected: 0 });
      }
      session.txn = null;
      return ending({ sql: base.sql, params, owner: txn.id, implicit: false, result: null }, txn.id, txn.keys, plan.kind === "commit", { affected: 0 });
    }
  }
  if (txn !== null && txn.aborted !== null) {
    return done(base, { error: `the transaction of this session is aborted (${txn.aborted}); end it with ROLLBACK or COMMIT`, code: "aborted" });
  }
  try {
    const ranges = plan.kind === "insert" ? null : plan.keys(params);
    if (plan.kind === "insert") {
      const rows = insertRows(plan, params);
      rows.forEach((row) => checkRow(schema, row));
      const keys = rows.map((row) => row[schema.key] as Key);
      const twice = keys.find((k, i) => keys.indexOf(k) !== i);
      if (twice !== undefined) throw new SqlError("constraint", `key ${JSON.stringify(twice)} appears twice in one INSERT`);
      return writing(base, session, keys, rows, implicit);
    }
    if (plan.kind === "select") {
      count(plan.limit, params, "LIMIT");
      count(plan.offset, params, "OFFSET");
    }
    const points = ranges === null ? null : pointsOf(ranges);
    if (points === null) return makeStep(base, "scan", [{ op: "scan", key: INDEX_KEY, ranges }], null, txn?.id ?? null, false, ranges);
    const keys = sorted(points);
    return plan.kind === "select" ? reading(schema, base, session, keys) : writing(base, session, keys, null, implicit);
  } catch (thrown) {
    return fail(base, session, thrown);
  }
}

/**
 * The next round of `step`, given the replies to its requests (in order), changing `session` in
 * place (a failure aborts its transaction).
 */
export function advance(schema: Schema, step: Step, replies: readonly RowReply[], session: Session | null, implicit: () => string): Step {
  const base: Base = step;
  const failure = replies.find((r): r is Extract<RowReply, { error: string }> => isSqlFailure(r as SqlReply));
  switch (step.stage) {
    case "end":
      return done(base, step.result!);
    case "abort":
      if (session?.txn != null) session.txn.keys = [];
      return done(base, step.result!);
    case "scan": {
      if (failure !== undefined) return fail(base, session, new SqlError(failure.code, failure.error));
      const plan = planOf(schema, step.sql);
      const own = session?.txn?.keys.filter((k) => inRanges(k, step.ranges ?? null)) ?? [];
      const keys = sorted([...(replies[0] as { keys: Key[] }).keys, ...own]);
      return plan.kind === "select" ? reading(schema, base, session, keys) : writing(base, session, keys, null, implicit);
    }
    case "read": {
      if (failure !== undefined) return fail(base, session, new SqlError(failure.code, failure.error));
      try {
        return done(base, answer(planOf(schema, step.sql) as Extract<Plan, { kind: "select" }>, step.params, replies));
      } catch (thrown) {
        return fail(base, session, thrown);
      }
    }
    case "write": {
      const affected = replies.reduce((n, r) => n + ((r as { affected?: number }).affected ?? 0), 0);
      if (!step.implicit) return failure === undefined ? done(base, { affected }) : fail(base, session, new SqlError(failure.code, failure.error));
      const keys = step.requests.map((r) => r.key);
      return ending(base, step.owner!, keys, failure === undefined, failure === undefined ? { affected } : { error: failure.error, code: failure.code });
    }
    case "done":
      return step;
  }
}

function done(base: Base, result: SqlReply): Step {
  return makeStep(base, "done", NO_REQUESTS, result);
}

function ending(base: Base, owner: string, keys: readonly Key[], commit: boolean, result: SqlReply): Step {
  if (keys.length === 0) return done(base, result);
  return makeStep(base, "end", keys.map((key) => ({ op: "end", key, txn: owner, commit })), result);
}

/** The statement failed: inside a transaction, the transaction aborts and its keys are released. */
function fail(base: Base, session: Session | null, thrown: unknown): Step {
  const failure = failureOf(thrown);
  const txn = session?.txn ?? null;
  if (txn === null || txn.aborted !== null) return done(base, failure);
  txn.aborted = failure.error;
  if (txn.keys.length === 0) return done(base, failure);
  return makeStep(base, "abort", txn.keys.map((key) => ({ op: "end", key, txn: txn.id, commit: false })), failure);
}

function reading(schema: Schema, base: Base, session: Session | null, keys: readonly Key[]): Step {
  const txn = session?.txn ?? null;
  if (txn !== null) record(txn, keys);
  if (keys.length === 0) return done(base, answer(planOf(schema, base.sql) as Extract<Plan, { kind: "select" }>, base.params, []));
  const owner = txn?.id ?? null;
  return makeStep(base, "read", keys.map((key) => ({ op: "read", key, txn: owner })), null, owner);
}

function writing(base: Base, session: Session | null, keys: readonly Key[], rows: readonly Row[] | null, implicit: () => string): Step {
  const txn = session?.txn ?? null;
  if (txn !== null) record(txn, keys);
  if (keys.length === 0) return done(base, { affected: 0 });
  const alone = txn === null && keys.length > 1;
  const owner = txn !== null ? txn.id : alone ? implicit() : null;
  const requests: RowRequest[] = keys.map((key, i) => ({ op: "write", key, txn: owner, sql: base.sql, params: base.params, row: rows === null ? null : rows[i]! }));
  return makeStep(base, "write", requests, null, owner, alone);
}

/** Adds `keys` to the keys a transaction touched (before the requests go, so an abort releases them all). */
function record(txn: Txn, keys: readonly Key[]): void {
  for (const key of keys) if (!txn.keys.includes(key)) txn.keys.push(key);
}

function sorted(keys: readonly Key[]): Key[] {
  return keys.length < 2 ? keys.slice() : [...new Set(keys)].sort(compareKeys);
}

/** The answer of a SELECT from the rows read (in ascending key order). */
function answer(plan: Extract<Plan, { kind: "select" }>, params: readonly SqlValue[], replies: readonly RowReply[]): SqlReply {
  let rows: Row[] = [];
  for (const reply of replies) {
    const row = (reply as { row: Row | null }).row;
    if (row !== null && (plan.filter === null || plan.filter({ row, params }))) rows.push(row);
  }
  if (plan.descending) rows.reverse();
  const offset = plan.offset === null ? 0 : (count(plan.offset, params, "OFFSET") ?? 0);
  const limit = plan.limit === null ? null : count(plan.limit, params, "LIMIT");
  const { output } = plan;
  if (output.kind === "aggregate") {
    return { columns: output.columns, rows: [output.aggregates.map((a) => aggregate(a, a.arg === null ? null : rows.map((row) => a.arg!({ row, params })), rows.length))].slice(offset, limit === null ? undefined : offset + limit) };
  }
  if (offset > 0 || limit !== null) rows = rows.slice(offset, limit === null ? undefined : offset + limit);
  return { columns: output.columns, rows: rows.map((row) => output.exprs.map((e) => e({ row, params }))) };
}

function aggregate(a: { fn: string; at: string }, values: SqlValue[] | null, rows: number): SqlValue {
  const { fn } = a;
  if (values === null) return rows;
  const present = values.filter((v) => v !== null);
  if (fn === "count") return present.length;
  if (present.length === 0) return null;
  if (fn === "min" || fn === "max") return present.reduce((x, y) => ((fn === "min" ? y! < x! : y! > x!) ? y : x));
  const other = present.find((v) => typeof v !== "number");
  if (other !== undefined) throw new SqlError("type", `${fn.toUpperCase()} at ${a.at} needs numbers; a value is ${describe(other)}`);
  const sum = (present as number[]).reduce((x, y) => x + y, 0);
  if (present.every((v) => Number.isInteger(v)) && !Number.isSafeInteger(sum)) {
    throw new SqlError("type", `integer out of range at ${a.at}: the ${fn.toUpperCase()} is beyond ±9007199254740991 (2^53−1), the integers kept exactly`);
  }
  return fn === "sum" ? sum : sum / present.length;
}
