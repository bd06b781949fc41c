/**
 * `sqlTable(app, name, …)`: a table as one workflow of an application (docs/sql.md, "Tables").
 *
 *   portal `/<app>/portals/<name>`   statements and the table's own row requests, routed by key
 *     └─ workflow `<name>`  one asker-replier task that asks its own portal:
 *          per key: the row and its lock (key = primary key), a session (key = session name)
 *          per task: the ordered key index
 *
 * A statement without a session that touches one key is routed to that key and runs there at
 * once: one portal round trip. Any other statement runs under its session (or `""`) and asks the
 * portal for its rows, key by key. It is an ordinary workflow written with the public builders,
 * so everything the runtime gives any application holds for a table: snapshots, exactly-once
 * recovery, live upgrade, remote asks from other runtimes.
 */
// Through the package, as a user's library would: the compiler finds operators by their builders.
import type { ApplicationBuilder, Key, PortalRef, StateContext, StateHandle } from "portals-ts";
import { advance, INDEX_KEY, KEPT_RESULTS, newSession, start, type Session, type Step } from "./execute.js";
import { pointKey } from "./plan.js";
import { sqlRequestProblem, type SqlReply, type SqlRequest } from "./protocol.js";
import { serveRow, type Lock, type RowReply, type RowRequest, type RowStore } from "./rows.js";
import { makeSchema, type ColumnType, type Row, type Schema } from "./schema.js";

export type { ColumnType } from "./schema.js";

/** The definition of a table: its columns by name with their types, and the primary key column. */
export interface SqlTableOptions {
  /** Column name → type, in column order (`SELECT *` order). */
  readonly columns: Readonly<Record<string, ColumnType>>;
  /** The primary key column: integer, real or text, never NULL. */
  readonly primaryKey: string;
}

/** A table added to an application. */
export interface SqlTable {
  /** Table name as statements use it (lower case; identifiers are case-insensitive). */
  readonly name: string;
  /** Column names in order (lower case). */
  readonly columns: readonly string[];
  /** The query portal: ask it a {@link SqlRequest}, get a {@link SqlReply}. */
  readonly query: PortalRef<SqlRequest, SqlReply>;
  /** Path of the query portal, `/<app>/portals/<name>` (what `portals sql --table` and `POST /v1/sql/<app>/<name>` name). */
  readonly path: string;
}

/**
 * Adds a table to `app`: a keyed workflow holding one row per primary key, and a query portal
 * that runs SQL on it (docs/sql.md). Statements of a session run one at a time in arrival
 * order; `BEGIN`/`COMMIT`/`ROLLBACK` make transactions under strict two-phase locking on keys.
 *
 * @param name the table name statements use; also the query portal's name (letters, digits,
 *   `_`, `-`, `.`)
 * @throws TypeError for a bad definition (no columns, an unknown type, a primary key that is not
 *   a column or is boolean), naming the table and the fix
 * @throws TypeError when the application already has a part with one of the table's names
 */
export function sqlTable(app: ApplicationBuilder, name: string, options: SqlTableOptions): SqlTable {
  if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new TypeError(`sqlTable(app, ${JSON.stringify(name)}): a table name is an identifier (letters, digits and _, not starting with a digit)`);
  }
  const schema = makeSchema(name, options?.columns, options?.primaryKey);
  // One portal for statements and for the table's own row requests (docs/sql.md, "Tables").
  const table = app.portal<SqlRequest | RowRequest, SqlReply | RowReply>(name, { key: (request) => routeKey(schema, request) });

  app
    .workflows<never, never>(name)
    .source(app.generators.empty<never>({ name: `${name}.idle` }).stream)
    .askerReplier<never, SqlRequest | RowRequest, SqlReply | RowReply>(
      table,
      table,
      () => {},
      async (request, ctx) => {
        if (isRowRequest(request)) {
          ctx.reply(serveRow(schema, request, storeOf(ctx)));
          return;
        }
        const problem = sqlRequestProblem(request);
        if (problem !== null) {
          ctx.reply({ error: problem, code: "syntax" });
          return;
        }
        if (request.session === undefined) {
          // A statement on its own: no queue, no retries to answer, no transaction to join. The
          // rounds its key here serves are served at once, without a message (routeKey sent it here).
          let step = local(schema, start(schema, request, null, () => implicitTxn(ctx)), ctx);
          while (step.requests.length > 0) {
            const replies = await Promise.all(step.requests.map((r) => table.request(r)));
            step = local(schema, advance(schema, step, replies as RowReply[], null, () => implicitTxn(ctx)), ctx);
          }
          ctx.reply(step.result!);
          return;
        }
        const arrived = sessionOf(ctx).get() ?? newSession();
        const ticket = arrived.next++;
        arrived.queue.push(ticket);
        sessionOf(ctx).set(arrived);
        try {
          // Statements of a session run one at a time: a later one waits for its turn by asking
          // the portal a no-op, which answers in the next round (docs/sql.md, "Sessions").
          while (sessionOf(ctx).get()!.queue[0] !== ticket) await table.request({ op: "turn", key: INDEX_KEY });
          const kept = answered(sessionOf(ctx).get()!, request.seq);
          if (kept !== null) {
            ctx.reply(kept);
            return;
          }
          const before = sessionOf(ctx).get()!;
          let step = start(schema, request, before, () => implicitTxn(ctx));
          sessionOf(ctx).set(before);
          while (step.requests.length > 0) {
            const replies = await Promise.all(step.requests.map((r) => table.request(r)));
            const now = sessionOf(ctx).get()!;
            step = advance(schema, step, replies as RowReply[], now, () => implicitTxn(ctx));
            sessionOf(ctx).set(now);
          }
          const after = sessionOf(ctx).get()!;
          if (request.seq !== undefined) {
            after.results.push([request.seq, step.result!]);
            if (after.results.length > KEPT_RESULTS) after.results.shift();
          }
          sessionOf(ctx).set(after);
          ctx.reply(step.result!);
        } finally {
          leave(ctx, ticket);
        }
      },
    )
    .sink()
    .freeze();

  return { name: schema.table, columns: schema.columns, query: table as PortalRef<SqlRequest, SqlReply>, path: `${app.path}/portals/${name}` };
}

/** True for the table's own requests (they have `op`; statements have `sql`). */
function isRowRequest(request: SqlRequest | RowRequest): request is RowRequest {
  return typeof request === "object" && request !== null && typeof (request as RowRequest).op === "string";
}

/**
 * Serves the rounds of a statement without a session that ask only the key being served, here
 * and now, as the portal would a moment later: one request on one key is atomic either way.
 */
function local(schema: Schema, step: Step, ctx: StateContext): Step {
  while (step.requests.length === 1 && step.requests[0]!.key === ctx.key && step.requests[0]!.op !== "turn") {
    step = advance(schema, step, [serveRow(schema, step.requests[0]!, storeOf(ctx))], null, () => implicitTxn(ctx));
  }
  return step;
}

/**
 * Where a request is served: a row request under its key; a statement of a session under the
 * session; a statement on its own that touches one key under that key (it then runs there in one
 * round trip); any other under `""`. Never throws: a request it cannot read goes to `""`, where
 * the handler answers what is wrong with it.
 */
function routeKey(schema: Schema, request: SqlRequest | RowRequest): Key {
  if (typeof request !== "object" || request === null) return INDEX_KEY;
  if (isRowRequest(request)) return request.key;
  if (typeof request.session === "string") return request.session;
  const key = typeof request.sql === "string" ? pointKey(schema, request.sql, request.params ?? []) : null;
  return key ?? INDEX_KEY;
}

function sessionOf(ctx: StateContext): StateHandle<Session | null> {
  return ctx.perKey<Session | null>("session", null);
}

/**
 * The first answer to statement `seq` of the session, when it ran already; a `seq` older than
 * the answers kept is refused rather than run twice.
 */
function answered(session: Session, seq: number | undefined): SqlReply | null {
  if (seq === undefined) return null;
  const kept = session.results.find(([n]) => n === seq);
  if (kept !== undefined) return kept[1];
  const oldest = session.results[0]?.[0];
  if (session.results.length >= KEPT_RESULTS && oldest !== undefined && seq < oldest) {
    return { error: `statement ${seq} of this session is older than the last ${KEPT_RESULTS} answers kept (from ${oldest}); it cannot be answered again`, code: "session" };
  }
  return null;
}

/** Takes the statement's ticket off the session's queue; forgets a session with nothing left to keep. */
function leave(ctx: StateContext, ticket: number): void {
  const handle = sessionOf(ctx);
  const session = handle.get();
  if (session === null) return;
  session.queue = session.queue.filter((t) => t !== ticket);
  if (session.queue.length === 0 && session.txn === null && session.results.length === 0) handle.del();
  else handle.set(session);
}

/** A lock owner id for a statement that writes several keys outside a session's transaction. */
function implicitTxn(ctx: StateContext): string {
  const counter = ctx.perTask<number>("implicit", 0);
  const n = counter.get() + 1;
  counter.set(n);
  return `~${n}`;
}

/** The table task's row state for the current key, and its key index. */
function storeOf(ctx: StateContext): RowStore {
  const row = ctx.perKey<Row | null>("row", null);
  const lock = ctx.perKey<Lock | null>("lock", null);
  const index = ctx.perTask<Key[] | null>("index", null);
  return {
    row: () => row.get(),
    setRow: (value) => (value === null ? row.del() : row.set(value)),
    lock: () => lock.get(),
    setLock: (value) => (value === null ? lock.del() : lock.set(value)),
    index: () => {
      const keys = index.get();
      if (keys !== null) return keys;
      const fresh: Key[] = [];
      index.set(fresh);
      return fresh;
    },
  };
}
