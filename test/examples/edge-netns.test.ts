/**
 * The edge of examples/edge/README.md with the link cut by the network, not by stopping a process
 * (docs/cluster.md, "Edge"): the edge's leaf node and runtime run in a network namespace of their
 * own (`ip netns`), joined to the cloud's nats-server by a veth pair; the cut takes the host's end
 * of the pair down, so the leaf connection stalls as over a lost radio link (no close, no reset),
 * while the edge runtime stays connected to its own leaf node. The edge works on (alarms), is
 * killed and restarted while cut off, and the cloud counts every reading once when the link is up.
 *
 * Needs root and `ip` (iproute2): CI runs as root and `.ci/run` installs it. Where the machine
 * does not allow namespaces, the test says why and is skipped; the same scenario with the leaf
 * node stopped instead runs everywhere (edge-demo.test.ts).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { ROOT } from "../compiler/fixtures.js";
import { CLI, killAll, startServer } from "../support/server.js";
import { sleep } from "../support/processes.js";

const NS = `pt-edge-${process.pid}`;
const HOST_END = `pth${process.pid % 100_000}`;
const EDGE_END = `pte${process.pid % 100_000}`;
const SUBNET = `10.231.${process.pid % 250}`;
const [HOST_IP, EDGE_IP] = [`${SUBNET}.1`, `${SUBNET}.2`];

/** Why this machine cannot make the namespace, or `undefined` once it has made it. */
function makeNamespace(): string | undefined {
  const add = spawnSync("ip", ["netns", "add", NS], { encoding: "utf8" });
  if (add.error !== undefined) return `ip cannot be run (${add.error.message}): install iproute2`;
  if (add.status !== 0) return `ip netns add failed: ${add.stderr.trim()} (namespaces need root)`;
  return undefined;
}

const ip = (...args: string[]): string => execFileSync("ip", args, { encoding: "utf8" });
const inEdge = (...args: string[]): string[] => ["netns", "exec", NS, ...args];

const unavailable = makeNamespace();
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  killAll();
  if (unavailable === undefined) spawnSync("ip", ["netns", "del", NS]);
  spawnSync("ip", ["link", "del", HOST_END]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts `program args` (in the edge's namespace with `edge`); resolves once its output has `ready`, within 20 s. */
async function start(args: readonly string[], ready: RegExp, options: { edge?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<{ child: ChildProcess; output: () => string }> {
  const [program, ...rest] = options.edge === true ? ["ip", ...inEdge(...args)] : args;
  const child = spawn(program!, rest, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
  children.push(child);
  let output = "";
  const append = (d: Buffer): void => void (output += d.toString());
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const end = Date.now() + 20_000;
  while (!ready.test(output)) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`${args.join(" ")} did not get ready:\n${output}`);
    await sleep(50);
  }
  return { child, output: () => output };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

test.skipIf(unavailable !== undefined)(`the edge in a network namespace, its link cut at the veth: local work goes on, and the cloud catches up exactly once${unavailable === undefined ? "" : ` (skipped: ${unavailable})`}`, async () => {
  const data = mkdtempSync(join(tmpdir(), "portals-netns-"));
  dirs.push(data);
  ip("link", "add", HOST_END, "type", "veth", "peer", "name", EDGE_END);
  ip("link", "set", EDGE_END, "netns", NS);
  ip("addr", "add", `${HOST_IP}/30`, "dev", HOST_END);
  ip("link", "set", HOST_END, "up");
  ip(...inEdge("ip", "addr", "add", `${EDGE_IP}/30`, "dev", EDGE_END));
  ip(...inEdge("ip", "link", "set", EDGE_END, "up"));
  ip(...inEdge("ip", "link", "set", "lo", "up"));

  // Pings every second, two missed close the leaf connection: a stalled link is noticed in seconds, not minutes.
  const [cloudPort, leafPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(data, "cloud.conf"),
    `listen: 127.0.0.1:${cloudPort}\nping_interval: "1s"\nping_max: 2\njetstream { domain: cloud, store_dir: "${join(data, "js")}" }\nleafnodes { listen: ${HOST_IP}:${leafPort} }\n`,
  );
  writeFileSync(join(data, "edge.conf"), `listen: 127.0.0.1:4223\nping_interval: "1s"\nping_max: 2\nleafnodes { remotes: [ { url: "nats-leaf://${HOST_IP}:${leafPort}" } ] }\n`);
  await start(["nats-server", "-c", join(data, "cloud.conf")], /Server is ready/);
  const leaf = await start(["nats-server", "-c", join(data, "edge.conf")], /Leafnode connection created/, { edge: true });

  const cluster = ["--nats-domain", "cloud", "--checkpoint-interval-ms", "200"];
  const cloud = await startServer(join(data, "cloud"), ["--nats", `nats://127.0.0.1:${cloudPort}`, "--runtime", "cloud", ...cluster]);
  const alarms = join(data, "alarms.jsonl");
  const edgeDir = join(data, "edge");
  const serveEdge = () =>
    start(["node", CLI, "serve", "--port", "18080", "--data-dir", edgeDir, "--nats", "nats://127.0.0.1:4223", "--runtime", "edge", ...cluster], /listening on/, { edge: true, env: { EDGE_ALARMS: alarms } });
  let edge = await serveEdge();
  /** A `portals` command against the edge's server, inside its namespace (it is reached there whether the link is up or not). */
  const onEdge = (...args: string[]): string =>
    execFileSync("ip", inEdge("node", CLI, ...args), { cwd: ROOT, encoding: "utf8", env: { ...process.env, PORTALS_SERVER: "http://127.0.0.1:18080", PORTALS_TOKEN: readFileSync(join(edgeDir, "token"), "utf8").trim() } });
  const readings = (celsius: number[]): void => void onEdge("send", "sensors/in", JSON.stringify(celsius.map((c) => ({ sensor: "s1", celsius: c }))));
  const stats = async (): Promise<unknown> => (await cloud.call("POST", "/v1/portals/dashboard/stats", "s1")).json?.reply;
  const statsBecome = async (expected: unknown, ms: number): Promise<unknown> => {
    const end = Date.now() + ms;
    let got = await stats();
    while (JSON.stringify(got) !== JSON.stringify(expected) && Date.now() < end) {
      await sleep(200);
      got = await stats();
    }
    return got;
  };
  const alarmCount = (): number => (existsSync(alarms) ? readFileSync(alarms, "utf8").split("\n").length - 1 : 0);

  onEdge("deploy", join(ROOT, "examples/edge/sensors.ts"));
  for (let i = 0; ; i++) {
    const r = spawnSync(process.execPath, [CLI, "deploy", join(ROOT, "examples/edge/dashboard.ts")], { cwd: ROOT, env: { ...process.env, PORTALS_SERVER: cloud.url, PORTALS_TOKEN: cloud.token } });
    if (r.status === 0) break;
    if (i > 50) throw new Error(`the dashboard was not deployed: ${r.stderr.toString()}`);
    await sleep(200);
  }
  readings([21, 25, 31]);
  expect(await statsBecome({ readings: 3, max: 31 }, 20_000)).toEqual({ readings: 3, max: 31 });

  // The cut: the host's end of the pair goes down; nothing is closed or reset.
  ip("link", "set", HOST_END, "down");
  readings([35, 22]);
  readings([40]);
  await sleep(4000);
  expect(alarmCount()).toBe(3);
  expect(await stats()).toEqual({ readings: 3, max: 31 });
  // The leaf noticed the silence (two pings missed) and the edge runtime is still up.
  expect(leaf.output()).toMatch(/Leafnode connection closed/);
  expect(edge.child.exitCode).toBeNull();

  // Killed and started again while cut off: it restores from its snapshot with its directory copy.
  await kill(edge.child);
  edge = await serveEdge();
  readings([23]);
  await sleep(1000);
  expect(await stats()).toEqual({ readings: 3, max: 31 });

  ip("link", "set", HOST_END, "up");
  expect(await statsBecome({ readings: 7, max: 40 }, 60_000)).toEqual({ readings: 7, max: 40 });
  expect(alarmCount()).toBe(3);
  await sleep(1000);
  expect(await stats()).toEqual({ readings: 7, max: 40 });
  await kill(edge.child);
  await cloud.stop();
}, 150_000);
