/**
 * The application of the SQL benchmark (`benchmarks/sql.ts`). It has async operators, so the
 * benchmark imports it compiled by the project's transformer (`lib/compile.ts`), never as
 * written; `sqlTable` comes from `runtime/sql/table.ts` compiled the same way (the table's query
 * task is an async asker-replier).
 *
 * App `sqlbench`:
 *   - table `kv` (`k integer` primary key, `v integer`): query portal `/sqlbench/portals/kv`;
 *   - `get`: a plain keyed replier portal answering the value it holds for a key (`{ key }`), or
 *     storing one (`{ key, value }`): the HTTP benchmark's baseline for `POST /v1/portals`;
 *   - `driver` (optional): an asker over `fromRange(0, load + count, atom)`; event `i < load`
 *     upserts row `(i, 2i)` (and, with `plain`, puts the same value into `get`); the next `count`
 *     events each run one unit of `kind` (a statement, or a 4-statement transaction). All events
 *     of an atom ask at once, so up to `atom` units are in flight. The first measured event and
 *     the last measured answer are stamped (`stamps`), so a run's time excludes the load.
 */
import { PortalsApp, type Application } from "portals-ts";
import type { SqlReply } from "portals-ts/sql";
import { sqlTable } from "../../runtime/sql/table.js";
import { statement, TABLE, txnKeys, UPDATE, UPSERT, type Kind } from "./statements.js";

/** Time stamps and tallies of a driver run (module level: the compiled operator reaches them). */
export const stamps = { start: 0, end: 0, done: 0, count: 0, checksum: 0, errors: 0, loaded: 0 };

export function resetStamps(count: number): void {
  Object.assign(stamps, { start: 0, end: 0, done: 0, count, checksum: 0, errors: 0, loaded: 0 });
}

function begin(): void {
  if (stamps.start === 0) stamps.start = performance.now();
}

/** Adds an answer to the checksum: rows changed, or the sum of the values answered. */
export function tally(reply: SqlReply): void {
  if ("error" in reply) stamps.errors++;
  else if ("affected" in reply) stamps.checksum += reply.affected;
  else for (const row of reply.rows) for (const value of row) stamps.checksum += value as number;
}

/** {@link tally} of a measured unit's last answer; stamps the end at the last unit. */
function finish(reply: SqlReply): void {
  tally(reply);
  if (++stamps.done === stamps.count) stamps.end = performance.now();
}

function loaded(reply: SqlReply): void {
  if ("error" in reply) throw new Error(`loading a row: ${reply.error}`);
  stamps.loaded++;
}

export interface SqlAppOptions {
  /** The driver workflow; without it the app only serves (live system, server). */
  readonly driver?: { readonly kind: Kind; readonly load: number; readonly count: number; readonly atom: number; readonly keys: number; readonly scanRows: number; readonly plain?: boolean };
}

export function sqlApp(options: SqlAppOptions = {}): Application {
  return PortalsApp("sqlbench", (app) => {
    const table = sqlTable(app, "kv", TABLE);
    const get = app.portal<{ key: number; value?: number }, number | null>("get", { key: (r) => r.key });
    app
      .workflows<never, never>("plain")
      .source(app.generators.empty<never>({ name: "plain.idle" }).stream)
      .replier(
        get,
        () => {},
        (r, ctx) => {
          const v = ctx.perKey<number | null>("v", null);
          if (r.value !== undefined) v.set(r.value);
          ctx.reply(v.get());
        },
      )
      .sink()
      .freeze();
    const d = options.driver;
    if (d === undefined) return;
    const { kind, load, count, keys, scanRows } = d;
    const plain = d.plain === true;
    app
      .workflows<number, never>("driver")
      .source(app.generators.fromRange(0, load + count, d.atom, { name: "driver.range" }).stream)
      .asker<never>([table.query, get], async (i) => {
        if (i < load) {
          const reply = await table.query.request({ sql: UPSERT, params: [i, 2 * i] });
          if (plain) await get.request({ key: i, value: 2 * i });
          loaded(reply);
          return;
        }
        begin();
        const j = i - load;
        if (kind === "txn") {
          const session = `t${j}`;
          const [a, b] = txnKeys(j, keys);
          tally(await table.query.request({ sql: "BEGIN", session }));
          tally(await table.query.request({ sql: UPDATE, params: [a], session }));
          tally(await table.query.request({ sql: UPDATE, params: [b], session }));
          finish(await table.query.request({ sql: "COMMIT", session }));
        } else if (kind !== "none") {
          finish(await table.query.request(statement(kind, j, keys, scanRows)));
        }
      })
      .sink()
      .freeze();
  });
}
