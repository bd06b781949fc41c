/**
 * A table in a live system for the SQL tests (docs/sql.md): `sql(text, fields)` asks the query
 * portal as `LiveSystem.ask` would for any client, and `batch` sends several requests in one
 * atom through an asker, as a dataflow client does.
 */
import { PortalsApp, Systems, type LiveSystem } from "portals-ts";
import { sqlTable, type SqlReply, type SqlRequest, type SqlTableOptions, type SqlValue } from "portals-ts/sql";

/** The table the tests use unless they give their own. */
export const KV: SqlTableOptions = { columns: { k: "integer", v: "integer", name: "text", ok: "boolean" }, primaryKey: "k" };

/** A running table and ways to ask it. */
export interface TableHarness {
  readonly system: LiveSystem;
  /** Asks one statement. */
  sql(text: string, fields?: Omit<SqlRequest, "sql">): Promise<SqlReply>;
  /** The rows of a query, failing the test with the message when it failed. */
  rows(text: string, fields?: Omit<SqlRequest, "sql">): Promise<readonly (readonly SqlValue[])[]>;
  /** Sends `requests` as one atom to an asker that asks them all at once; answers in request order. */
  batch(requests: readonly SqlRequest[]): Promise<SqlReply[]>;
  close(): Promise<void>;
}

/** The error code of a reply, or `undefined` when it did not fail. */
export function codeOf(reply: SqlReply): string | undefined {
  return "code" in reply ? reply.code : undefined;
}

/** Launches a table `kv` (or `options`) in a fresh live system. */
export function startTable(options: SqlTableOptions = KV): TableHarness {
  const system = Systems.live({ log: () => {}, checkpointIntervalMs: 5 });
  const app = PortalsApp("t", (app) => {
    const table = sqlTable(app, "kv", options);
    // A dataflow client: each event is a list of requests, asked together in one step.
    const answers = app.portal<{ id: number; requests: SqlRequest[] }, SqlReply[]>("batch");
    app
      .workflows<never, never>("client")
      .source(app.generators.empty<never>({ name: "idle" }).stream)
      .askerReplier<never, { id: number; requests: SqlRequest[] }, SqlReply[]>(
        table.query,
        answers,
        () => {},
        async (request, ctx) => {
          ctx.reply(await Promise.all(request.requests.map((r) => table.query.request(r))));
        },
      )
      .sink()
      .freeze();
  });
  system.launch(app);
  let id = 0;
  const sql = async (text: string, fields: Omit<SqlRequest, "sql"> = {}) => (await system.ask("/t/portals/kv", { sql: text, ...fields })) as SqlReply;
  return {
    system,
    sql,
    async rows(text, fields) {
      const reply = await sql(text, fields);
      if ("error" in reply) throw new Error(`${text}: ${reply.error}`);
      if (!("rows" in reply)) throw new Error(`${text}: not a query (${JSON.stringify(reply)})`);
      return reply.rows;
    },
    async batch(requests) {
      return (await system.ask("/t/portals/batch", { id: id++, requests })) as SqlReply[];
    },
    close: () => system.close(),
  };
}
