/**
 * Exactly once across crashes (docs/cluster.md, "Exactly once"): two runtimes (`portals serve
 * --nats … --runtime a|b`, modules deployed with `portals deploy`) and a client that sends 600
 * numbers in 60 keyed sends, retrying each until it is taken. A, B and nats-server are killed
 * with SIGKILL at seeded random moments and started again; the file B commits equals the output
 * of an uninterrupted run, byte for byte.
 *
 *   streams: A doubles the numbers onto a stream; B reads it into a running sum per key.
 *   portals: B asks A's keyed counter for every number (continuations parked on B while A is
 *            down) and writes each reply.
 *   three:   A doubles the numbers; B reads them and asks C's keyed counter for each; C writes
 *            B's lines (three runtime processes, any of them or nats-server killed); the client
 *            sends to C, which forwards each send to A.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { startServer, type ServerProcess } from "../../support/server.js";
import { deploy, seeded, sleep, useProcesses } from "../../support/processes.js";
import { startNats } from "../../support/nats.js";

const MODULES = join(import.meta.dirname, "modules");
const tempDir = useProcesses("portals-crash-");

interface Scenario {
  /** The runtimes, and the modules deployed on them, in order. */
  readonly deploy: readonly (readonly [string, string])[];
  /** The runtime the client sends to, and the ingestion stream (`<app>/<stream>`). */
  readonly sendTo: string;
  readonly stream: string;
  /** The file of an uninterrupted run. */
  readonly expected: string;
  /** A runtime and the portal (`<app>/<portal>`) to ask over HTTP at the end, with the request and the reply expected. */
  readonly finally?: readonly [string, string, unknown, unknown];
}

/** Per key (number mod 7), the count of numbers so far: what the counter replies. */
const counted = (x: number, i: number): string => `${x}:${Math.floor(i / 7) + 1}`;

const SCENARIOS: Record<string, Scenario> = {
  streams: {
    deploy: [["a", "numbers.ts"], ["b", "sums.ts"]],
    sendTo: "a",
    stream: "numbers/in",
    expected: lines((i, sums) => {
      const x = i * 2;
      sums[x % 7] = (sums[x % 7] ?? 0) + x;
      return `${x}:${sums[x % 7]}`;
    }),
  },
  // Asked over HTTP on B, A's counter answers (forwarded through the cluster): key 0 had 86 numbers.
  portals: { deploy: [["a", "counter.ts"], ["b", "bumper.ts"]], sendTo: "b", stream: "bumper/in", expected: lines((i) => counted(i, i)), finally: ["b", "counter/bump", 7, 87] },
  three: {
    deploy: [["c", "counter.ts"], ["a", "numbers.ts"], ["b", "relay.ts"], ["c", "recorder.ts"]],
    // Sent over HTTP to C, which forwards each send to A (numbers.ts runs there).
    sendTo: "c",
    stream: "numbers/in",
    expected: lines((i) => counted(i * 2, i)),
    finally: ["a", "counter/bump", 7, 87],
  },
};

/** The 600 lines of an uninterrupted run, each made by `line` from the number and per-key state. */
function lines(line: (i: number, state: number[]) => string): string {
  const state: number[] = [];
  let out = "";
  for (let i = 0; i < 600; i++) out += line(i, state) + "\n";
  return out;
}

/** Seeds of the kill schedules: two per scenario in `npm test`; `PORTALS_CRASH_SEEDS=20` runs more (on demand). */
const SEEDS = Array.from({ length: Number(process.env.PORTALS_CRASH_SEEDS ?? 2) }, (_, i) => i + 1);
const CASES = Object.keys(SCENARIOS).flatMap((scenario) => SEEDS.map((seed) => [scenario, seed] as const));

test.each(CASES)("%s, seed %i: SIGKILL of any runtime and of nats-server at random moments loses and repeats nothing", async (name, seed) => {
  const scenario = SCENARIOS[name]!;
  const next = seeded(seed);
  const nats = await startNats();
  const names = [...new Set(scenario.deploy.map(([runtime]) => runtime))];
  const dirs = Object.fromEntries(names.map((n) => [n, tempDir()]));
  const out = join(tempDir(), "out.txt");
  // The servers inherit it: the module that writes the file writes it there.
  process.env.PORTALS_CRASH_OUT = out;
  const start = (runtime: string) => startServer(dirs[runtime]!, ["--nats", nats.url, "--runtime", runtime]);
  const servers: Record<string, ServerProcess> = {};
  for (const n of names) servers[n] = await start(n);
  for (const [runtime, module] of scenario.deploy) await deploy(servers[runtime]!, join(MODULES, module));
  let sending = true;
  const sent = (async () => {
    for (let i = 0; i < 60 && sending; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => i * 10 + j);
      // A retry after a kill carries the same key: the server appends the batch once.
      while (sending) {
        const r = await servers[scenario.sendTo]!.call("POST", `/v1/streams/${scenario.stream}`, batch, { headers: { "idempotency-key": `batch-${i}` } }).catch(() => undefined);
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
    const victim = [...names, "nats"][Math.floor(next() * (names.length + 1))]!;
    kills.push(victim);
    if (victim === "nats") await nats.kill();
    else await servers[victim]!.kill();
    await sleep(50 + next() * 400);
    if (victim === "nats") await nats.restart();
    else servers[victim] = await start(victim);
  }
  await sent;
  const committed = (): string => (existsSync(out) ? readFileSync(out, "utf8") : "");
  const end = Date.now() + 60_000;
  while (committed().length < scenario.expected.length && Date.now() < end) await sleep(100);
  // A little longer: a repeated atom would come after the last expected line.
  await sleep(500);
  const logs = `kills ${kills.join(", ")}\n` + names.map((n) => `--- ${n} (last start)\n${servers[n]!.output()}`).join("\n");
  expect(committed().split("\n").length - 1, logs).toBe(600);
  expect(committed()).toBe(scenario.expected);
  if (scenario.finally !== undefined) {
    const [runtime, portal, request, reply] = scenario.finally;
    expect(await servers[runtime]!.call("POST", `/v1/portals/${portal}`, request)).toMatchObject({ status: 200, json: { reply } });
  }
  sending = false;
  for (const n of names) await servers[n]!.stop();
  await nats.stop();
}, 150_000);
