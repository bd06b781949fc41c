/**
 * Exactly once across crashes (docs/cluster.md, "Exactly once"): a client sends 600 numbers in
 * 60 keyed sends to runtime A (`portals serve --nats … --runtime a`), retrying each until it is
 * taken; A doubles them onto a stream that runtime B reads into a keyed running sum and a file
 * sink. A, B and nats-server are killed with SIGKILL at seeded random moments and started again.
 * The file B commits equals the output of an uninterrupted run, byte for byte.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { killAll, startServer, type ServerProcess } from "../../support/server.js";
import { killAllNats, startNats } from "../../support/nats.js";

const BUNDLES = join(import.meta.dirname, "bundles");
const dirs: string[] = [];
afterAll(() => {
  killAll();
  killAllNats();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "portals-crash-"));
  dirs.push(d);
  return d;
}

/** The lines an uninterrupted run writes: per key x mod 7 of the doubled numbers, the running sum. */
function expectedLines(): string {
  const sums = new Map<number, number>();
  let out = "";
  for (let i = 0; i < 600; i++) {
    const x = i * 2;
    const sum = (sums.get(x % 7) ?? 0) + x;
    sums.set(x % 7, sum);
    out += `${x}:${sum}\n`;
  }
  return out;
}

/** mulberry32: the kill schedule, from a seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function deploy(server: ServerProcess, code: string): Promise<void> {
  const end = Date.now() + 15_000;
  for (;;) {
    const r = await server.call("POST", "/v1/deployments", undefined, { raw: code, type: "application/javascript" });
    if (r.status === 201) return;
    // B's copy of the directory may not have A's application yet.
    if (Date.now() > end) throw new Error(`deployment refused: ${r.status} ${r.text}`);
    await sleep(100);
  }
}

/** Seeds of the schedules: two in `npm test`; `PORTALS_CRASH_SEEDS=20` runs more (on demand). */
const SEEDS = Array.from({ length: Number(process.env.PORTALS_CRASH_SEEDS ?? 2) }, (_, i) => i + 1);

test.each(SEEDS)("seed %i: SIGKILL of A, B and nats-server at random moments loses and repeats nothing", async (seed) => {
  const next = random(seed);
  const nats = await startNats();
  const dirA = tempDir();
  const dirB = tempDir();
  const sinkPath = join(tempDir(), "sums.txt");
  const cluster = (name: string) => ["--nats", nats.url, "--runtime", name];
  let a = await startServer(dirA, cluster("a"));
  let b = await startServer(dirB, cluster("b"));
  await deploy(a, readFileSync(join(BUNDLES, "producer.mjs"), "utf8"));
  await deploy(b, readFileSync(join(BUNDLES, "consumer.mjs"), "utf8").replace("SINK_PATH", JSON.stringify(sinkPath)));
  let sending = true;
  const sent = (async () => {
    for (let i = 0; i < 60 && sending; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => i * 10 + j);
      // A retry after a kill carries the same key: the server appends the batch once.
      while (sending) {
        const r = await a.call("POST", "/v1/streams/numbers/in", batch, { headers: { "idempotency-key": `batch-${i}` } }).catch(() => undefined);
        if (r?.status === 200) break;
        await sleep(50);
      }
      // Paced, so the kills fall while numbers flow.
      await sleep(40);
    }
  })();
  const kills: string[] = [];
  for (let round = 0; round < 5; round++) {
    await sleep(200 + next() * 600);
    const victim = ["a", "b", "nats"][Math.floor(next() * 3)]!;
    kills.push(victim);
    if (victim === "a") await a.kill();
    else if (victim === "b") await b.kill();
    else await nats.kill();
    await sleep(50 + next() * 400);
    if (victim === "a") a = await startServer(dirA, cluster("a"));
    else if (victim === "b") b = await startServer(dirB, cluster("b"));
    else await nats.restart();
  }
  await sent;
  const expected = expectedLines();
  const end = Date.now() + 60_000;
  const committed = (): string => (existsSync(sinkPath) ? readFileSync(sinkPath, "utf8") : "");
  while (committed().length < expected.length && Date.now() < end) await sleep(100);
  // A little longer: a repeated atom would come after the last expected line.
  await sleep(500);
  const logs = `kills ${kills.join(", ")}\n--- A (last start)\n${a.output()}\n--- B (last start)\n${b.output()}`;
  expect(committed().split("\n").length - 1, logs).toBe(600);
  expect(committed()).toBe(expected);
  sending = false;
  await a.stop();
  await b.stop();
  await nats.stop();
}, 120_000);
