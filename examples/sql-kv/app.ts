/**
 * SQL to dataflow, in one process (demo scenario 2, docs/sql.md): the table `kv` and a query
 * workflow that asks it the generated statements, 16 per atom, one after the other, and logs
 * each with its result, then runs the generated transactions. Run it (after `npm run build`):
 *
 *   node dist/runtime/cli/main.js run dist/examples/sql-kv/app.js
 *
 * The first lines of seed 0:
 *
 *   Query: INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v [6,28] => {"affected":1}
 */
import { PortalsApp } from "portals-ts";
import type { SqlReply, SqlRequest } from "portals-ts/sql";
import { kvTable } from "./table.js";
import { generateQueries, generateTransactions, WORKLOAD } from "./workload.js";

/** One log line: the statement, its parameters and the answer. */
export function describeQuery(request: SqlRequest, reply: SqlReply): string {
  const params = request.params === undefined ? "" : ` ${JSON.stringify(request.params)}`;
  const session = request.session === undefined ? "" : ` (${request.session} #${request.seq})`;
  return `Query: ${request.sql}${params}${session} => ${JSON.stringify(reply)}`;
}

/** The table with the generated queries, then the generated transactions, asked of it. */
export default PortalsApp("sqlkv", (app) => {
  const kv = kvTable(app);
  const atoms = [...generateQueries(WORKLOAD), ...generateTransactions(WORKLOAD)];
  app
    .workflows<SqlRequest[], string>("queries")
    .source(app.generators.fromArrayOfArrays(atoms.map((atom) => [atom]), { name: "statements" }).stream)
    .asker<string>(kv.query, async (atom, ctx) => {
      // One at a time, so each statement sees the ones before it. Asked together (Promise.all),
      // statements without a session would run concurrently, in no promised order (docs/sql.md).
      for (const request of atom) ctx.log.info(describeQuery(request, await kv.query.request(request)));
    })
    .sink()
    .freeze();
});
