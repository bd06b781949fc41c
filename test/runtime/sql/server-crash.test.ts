/**
 * Exactly-once through the server (docs/sql.md, "Recovery"): clients write through
 * `POST /v1/sql` while the server is SIGKILLed at seeded moments and restarted on its data
 * directory; each client retries a statement with the same session and seq until it is
 * answered. Every write is applied once: each counter equals the number of its statements.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { bundleModule } from "../../../runtime/cli/deploy.js";
import { ROOT } from "../../compiler/fixtures.js";
import { killAll, startServer, type ServerProcess } from "../../support/server.js";

const dirs: string[] = [];
afterAll(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const CLIENTS = 3;
const STATEMENTS = 24;

test("writes retried across three SIGKILLs of the server are applied exactly once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "portals-sql-kill-"));
  dirs.push(dir);
  let server: ServerProcess = await startServer(dir);
  const { code } = await bundleModule(join(ROOT, "examples/sql-kv/table.ts"));
  expect((await server.call("POST", "/v1/deployments", undefined, { raw: code, type: "application/javascript" })).status).toBe(201);

  let restarting: Promise<void> | null = null;
  let retries = 0;
  let answered = 0;
  /** One statement, retried with the same session and seq until the server answers it. */
  const run = async (body: { sql: string; session: string; seq: number; params?: unknown[] }) => {
    for (let attempt = 0; attempt < 400; attempt++) {
      if (restarting !== null) await restarting;
      try {
        const { status, json } = await server.call("POST", "/v1/sql/sqlkv/kv", body);
        if (status === 200 || status === 409) {
          answered++;
          return json;
        }
        if (status !== 503 && status !== 504) throw new Error(`status ${status}: ${JSON.stringify(json)}`);
      } catch (thrown) {
        if ((thrown as Error).message.startsWith("status")) throw thrown;
      }
      retries++;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`statement ${body.session}#${body.seq} was never answered`);
  };

  // Each client counts in its own key and, every fourth statement, moves one unit in a transaction.
  const clients = Array.from({ length: CLIENTS }, async (_, c) => {
    const session = `client-${c}`;
    let seq = 0;
    let committed = 0;
    for (let i = 0; i < STATEMENTS; i++) {
      const upsert = await run({ sql: "INSERT INTO kv (k, v) VALUES ($1, 1) ON CONFLICT (k) DO UPDATE SET v = kv.v + 1", params: [c], session, seq: seq++ });
      expect(upsert).toEqual({ affected: 1 });
      if (i % 4 === 3) {
        await run({ sql: "BEGIN", session, seq: seq++ });
        await run({ sql: "INSERT INTO kv (k, v) VALUES ($1, 1) ON CONFLICT (k) DO UPDATE SET v = kv.v + 1", params: [100 + c], session, seq: seq++ });
        const commit = await run({ sql: "COMMIT", session, seq: seq++ });
        if ("affected" in commit) committed++;
      }
    }
    return committed;
  });

  // Three SIGKILLs while the clients write: after 20, 55 and 90 of their 126 statements are answered.
  const killer = (async () => {
    for (const after of [20, 55, 90]) {
      while (answered < after) await new Promise((r) => setTimeout(r, 2));
      let done!: () => void;
      restarting = new Promise((r) => (done = r));
      await server.kill();
      server = await startServer(dir);
      restarting = null;
      done();
    }
  })();

  const committed = await Promise.all(clients);
  await killer;
  // The clients met the kills: some statements were sent again.
  expect(retries).toBeGreaterThan(0);
  const { json } = await server.call("POST", "/v1/sql/sqlkv/kv", { sql: "SELECT k, v FROM kv ORDER BY k" });
  expect(json.rows).toEqual([
    ...Array.from({ length: CLIENTS }, (_, c) => [c, STATEMENTS]),
    ...committed.map((n, c) => [100 + c, n]).filter(([, n]) => n! > 0),
  ]);
  expect(committed.reduce((a, b) => a + b, 0)).toBe((CLIENTS * STATEMENTS) / 4);
  await server.stop();
}, 180_000);
