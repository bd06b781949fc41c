/**
 * A bounded load test of `portals serve` with autocannon (docs/live.md): 32 connections for 2 s of
 * asks, half of them writes with idempotency keys, against a real server process. Every answer
 * is a 200, and afterwards the state holds exactly the writes that were answered: the counts
 * asked for equal the counts stored. Speed is measured by `npm run bench -- --only server`, not here.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { afterAll, expect, test } from "vitest";
import { killAll, startServer } from "../../support/server.js";

const dir = mkdtempSync(join(tmpdir(), "portals-load-"));
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

test("under concurrent load every ask is answered and every answered write is in the state once", { timeout: 60_000 }, async () => {
  const server = await startServer(dir);
  const bundle = readFileSync(join(import.meta.dirname, "bundles/inventory.mjs"), "utf8");
  expect((await server.call("POST", "/v1/deployments", undefined, { raw: bundle, type: "application/javascript" })).status).toBe(201);
  let sent = 0;
  const result = await autocannon({
    url: `${server.url}/v1/portals/inventory/stock`,
    method: "POST",
    connections: 32,
    duration: 2,
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" },
    requests: [
      {
        setupRequest: (request) => {
          const i = sent++;
          // Every second request adds 1 to one of 10 items, under a key of its own.
          const body = i % 2 === 0 ? { op: "add", item: `item-${i % 10}`, n: 1 } : { op: "get", item: `item-${i % 10}` };
          return { ...request, body: JSON.stringify(body), headers: { ...request.headers, "idempotency-key": `load-${i}` } };
        },
      },
    ],
  });
  expect(result.errors).toBe(0);
  expect(result.non2xx).toBe(0);
  expect(result.requests.total).toBeGreaterThan(100);
  // The adds answered: those sent minus those still in flight when autocannon stopped (it waits for them).
  let stored = 0;
  for (let k = 0; k < 10; k++) stored += (await server.call("POST", "/v1/portals/inventory/stock", { op: "get", item: `item-${k}` })).json.reply;
  const adds = Array.from({ length: result.requests.sent }, (_, i) => i).filter((i) => i % 2 === 0).length;
  expect(stored).toBe(adds);
  await server.stop();
});
