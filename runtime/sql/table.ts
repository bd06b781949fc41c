/**
 * `sqlTable(app, name, …)`: a table as two workflows of an application (docs/sql.md, "Tables").
 *
 *   query portal `/<app>/portals/<name>`       the statements, keyed by session
 *     └─ workflow `<name>.query`  asker-replier: plans, runs each statement as rounds of asks
 *          └─ portal `/<app>/portals/<name>.rows`   keyed by primary key
 *               └─ workflow `<name>.rows`  replier: rows, locks, the key index
 *
 * Both are ordinary workflows written with the public builders, so everything the runtime
 * gives any application holds for a table: snapshots, exactly-once recovery, live upgrade,
 * remote asks from other runtimes.
 */
// Through the package, as a user's library would: the compiler finds operators by their builders.
import type { ApplicationBuilder, Key, PortalRef, StateContext, StateHandle } from "portals-ts";
import { advance, INDEX_KEY, KEPT_RESULTS, newSession, start, type Session } from "./execute.js";
import { sqlRequestProblem, type SqlReply, type SqlRequest } from "./protocol.js";
import { serveRow, type Lock, type RowReply, type RowRequest, type RowStore } from "./rows.js";
import { makeSchema, type ColumnType, type Row } from "./schema.js";

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
  const rows = app.portal<RowRequest, RowReply>(`${name}.rows`, { key: (request) => request.key });
  const query = app.portal<SqlRequest, SqlReply>(name, { key: sessionKey });
  const idle = app.generators.empty<never>({ name: `${name}.idle` });

  app
    .workflows<never, never>(`${name}.rows`)
    .source(idle.stream)
    .replier<never, RowRequest, RowReply>(
      rows,
      () => {},
      (request, ctx) => ctx.reply(serveRow(schema, request, storeOf(ctx))),
    )
    .sink()
    .freeze();

  app
    .workflows<never, never>(`${name}.query`)
    .source(idle.stream)
    .askerReplier<never, SqlRequest, SqlReply>(
      rows,
      query,
      () => {},
      async (request, ctx) => {
        const problem = sqlRequestProblem(request);
        if (problem !== null) {
          ctx.reply({ error: problem, code: "syntax" });
          return;
        }
        if (request.session === undefined) {
          // A statement on its own: no queue, no retries to answer, no transaction to join.
          let step = start(schema, request, null, () => implicitTxn(ctx));
          while (step.requests.length > 0) {
            const replies = await Promise.all(step.requests.map((r) => rows.request(r)));
            step = advance(schema, step, replies, null, () => implicitTxn(ctx));
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
          // the rows portal a no-op, which answers in the next round (docs/sql.md, "Sessions").
          while (sessionOf(ctx).get()!.queue[0] !== ticket) await rows.request({ op: "turn", key: INDEX_KEY });
          const kept = answered(sessionOf(ctx).get()!, request.seq);
          if (kept !== null) {
            ctx.reply(kept);
            return;
          }
          const before = sessionOf(ctx).get()!;
          let step = start(schema, request, before, () => implicitTxn(ctx));
          sessionOf(ctx).set(before);
          while (step.requests.length > 0) {
            const replies = await Promise.all(step.requests.map((r) => rows.request(r)));
            const now = sessionOf(ctx).get()!;
            step = advance(schema, step, replies, now, () => implicitTxn(ctx));
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

  return { name: schema.table, columns: schema.columns, query, path: `${app.path}/portals/${name}` };
}

/** The query portal's routing key: the session, or `""` for statements without one. */
function sessionKey(request: SqlRequest): Key {
  const session = (request as Partial<SqlRequest> | null)?.session;
  return typeof session === "string" ? session : "";
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

/** The rows task's state for the current key, and its key index. */
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
