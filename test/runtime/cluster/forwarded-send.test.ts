/**
 * A send forwarded to the runtime that runs its application (docs/cluster.md, "What works"),
 * when that runtime is alive but does not answer (SIGSTOP): found by a fresh user, whose send
 * without a key got a 503 saying to send again, which then took it twice. The 503 now says the
 * send may have been taken, and that a key makes sending it again safe; with the key, it is.
 */
import { join } from "node:path";
import { expect, test } from "vitest";
import { startServer } from "../../support/server.js";
import { startNats } from "../../support/nats.js";
import { deploy, useProcesses } from "../../support/processes.js";

const MODULES = join(import.meta.dirname, "modules");
const tempDir = useProcesses("portals-forwarded-");

test("to a hung runtime: 503 after the forward's 10 s, saying it may have been taken; sent again with its key once the runtime is back, it is taken once", async () => {
  const nats = await startNats();
  const a = await startServer(tempDir(), ["--nats", nats.url, "--runtime", "fsa"]);
  const b = await startServer(tempDir(), ["--nats", nats.url, "--runtime", "fsb"]);
  await deploy(a, join(MODULES, "numbers.ts"));
  // B forwards once it has heard of /numbers (the directory's watch takes a moment).
  await expect.poll(async () => (await b.call("POST", "/v1/streams/numbers/in", [1], { headers: { "idempotency-key": "k1" } })).status, { timeout: 20_000, interval: 100 }).toBe(200);
  a.signal("SIGSTOP");
  let hung: { status: number; json: any };
  try {
    hung = await b.call("POST", "/v1/streams/numbers/in", [2], { headers: { "idempotency-key": "k2" } });
  } finally {
    a.signal("SIGCONT");
  }
  expect(hung).toMatchObject({
    status: 503,
    json: { error: expect.stringMatching(/^runtime fsa, which runs \/numbers, did not answer \(.*\); the send may have been taken: send it again with the same idempotency key, which takes it once \(without a key it may be taken twice\)$/) },
  });
  // A took it while stopped (its request was waiting on its socket): sent again with its key, it is not taken twice.
  const again = await b.call("POST", "/v1/streams/numbers/in", [2], { headers: { "idempotency-key": "k2" } });
  expect(again).toMatchObject({ status: 200, json: { atom: 1, duplicate: true } });
  const next = await b.call("POST", "/v1/streams/numbers/in", [3], { headers: { "idempotency-key": "k3" } });
  expect(next).toMatchObject({ status: 200, json: { atom: 2, duplicate: false } });
  await a.stop();
  await b.stop();
  await nats.stop();
}, 90_000);
