/**
 * The SQL benchmark's server process (`benchmarks/sql.ts` starts it): the server of `portals
 * serve` (`startServer`, with a data directory and a token, as the CLI starts it) running the
 * benchmark's application (`ops.ts`, compiled), whose driver loads `keys` rows into the table
 * and the same values into the plain `get` portal. Prints `listening on <url>` once every row is
 * in, and serves until it is killed.
 *
 *   node --import tsx benchmarks/sql/server.ts <data-dir> <token> <keys>
 */
import { startServer } from "../../runtime/server/server.js";
import { importCompiled } from "../lib/compile.js";
import type * as Ops from "./ops.js";

const [dataDir, token, keysArg] = process.argv.slice(2);
const keys = Number(keysArg);
if (dataDir === undefined || token === undefined || !Number.isSafeInteger(keys)) throw new Error("usage: server.ts <data-dir> <token> <keys>");

const ops = await importCompiled<typeof Ops>("benchmarks/sql/ops.ts");
ops.resetStamps(0);
const server = await startServer({ dataDir, port: 0, host: "127.0.0.1", token, log: () => {} });
server.system.launch(ops.sqlApp({ driver: { kind: "none", load: keys, count: 0, atom: 1_000, keys, scanRows: 1, plain: true } }));
while (ops.stamps.loaded < keys) await new Promise((r) => setTimeout(r, 10));
process.stdout.write(`listening on ${server.url}\n`);
const stop = (): void => void server.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
