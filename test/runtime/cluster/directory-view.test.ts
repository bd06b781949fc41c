/**
 * What a runtime knows of its cluster (docs/cluster.md, "The directory"): every application and
 * partition with the runtime that runs it and its code version (Deliver 1 of the cluster: which
 * runtime hosts which application, stream and portal, with code versions, kept in NATS KV),
 * and whether it was stopped. `ClusterLink.applications`, and `GET /v1/cluster` on a server.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";
import { PortalsApp, type Application } from "portals-ts";
import { codeVersion } from "../../../runtime/cluster/code-version.js";
import { CLI, startServer } from "../../support/server.js";
import { startNats } from "../../support/nats.js";
import { deploy, deployOnce, useProcesses } from "../../support/processes.js";
import { until, useCluster } from "../../support/cluster.js";

const { runtime, link } = useCluster();
const tempDir = useProcesses("portals-directory-view-");

/** An application doubling (or, with `times`, multiplying) what is sent to it, with a portal. */
function numbers(name: string, times = 2): Application {
  return PortalsApp(name, (app) => {
    const echo = app.portal<number, number>("echo");
    const flow = app.workflows<number, number>("double").source(app.generators.http<number>("in").stream);
    (times === 2 ? flow.map((x) => x * 2) : flow.map((x) => x * times)).sink();
    app.workflows<never, never>("serve").source(app.generators.empty<never>().stream).replier(echo, () => {}, (x, ctx) => ctx.reply(x)).sink();
  });
}

test("code versions: the same for the same code, another for other code or another graph", () => {
  const [a, b] = [numbers("v"), numbers("v")];
  expect(codeVersion(a.plan)).toMatch(/^[0-9a-f]{16}$/);
  expect(codeVersion(a.plan)).toBe(codeVersion(b.plan));
  expect(codeVersion(numbers("v", 3).plan)).not.toBe(codeVersion(a.plan));
  const more = PortalsApp("v", (app) => void app.workflows<number, number>("double").source(app.generators.http<number>("in").stream).map((x) => x * 2).sink());
  expect(codeVersion(more.plan)).not.toBe(codeVersion(a.plan));
});

test("every runtime lists every application with its runtime, version, streams and portals; an upgrade's new version is heard; a stopped one says so", async () => {
  const [one, two] = [await runtime("dv-1"), await runtime("dv-2")];
  const app = numbers("dv");
  one.launch(app);
  await until("dv known on dv-2", () => link(two).applications().some((a) => a.app === "/dv"));
  const entry = {
    app: "/dv",
    runtime: "dv-1",
    version: codeVersion(app.plan),
    stopped: false,
    deploying: false,
    streams: expect.arrayContaining(["/dv/workflows/double/stream"]),
    portals: ["/dv/portals/echo"],
  };
  expect(link(two).applications().find((a) => a.app === "/dv")).toEqual(entry);
  expect(link(one).applications().find((a) => a.app === "/dv")).toEqual(entry);
  // An upgrade to new code: its version, heard everywhere.
  const tripled = numbers("dv", 3);
  await one.upgrade([tripled]);
  await until("the upgrade's version on dv-2", () => link(two).applications().find((a) => a.app === "/dv")?.version === codeVersion(tripled.plan));
  await one.stop("dv");
  await until("dv stopped on dv-2", () => link(two).applications().find((a) => a.app === "/dv")?.stopped === true);
  // An upgrade of another application deploys every one again into a new engine: the stopped one stays stopped (a fresh user's trial saw it running again).
  one.launch(numbers("dv-other"));
  const other = numbers("dv-other", 3);
  await one.upgrade([other]);
  await until("dv-other's new version on dv-2", () => link(two).applications().find((a) => a.app === "/dv-other")?.version === codeVersion(other.plan));
  expect(link(two).applications().find((a) => a.app === "/dv")?.stopped).toBe(true);
  expect(link(two).runtime).toBe("dv-2");
});

/** `portals cluster` against the server at `url`. */
function portalsCluster(url: string) {
  const run = spawnSync(process.execPath, [CLI, "cluster"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, PORTALS_SERVER: url } });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

test("GET /v1/cluster and portals cluster on a server in a cluster, and their 404 on one that is not", async () => {
  const nats = await startNats();
  const a = await startServer(tempDir(), ["--nats", nats.url, "--runtime", "dva"]);
  const alone = await startServer(tempDir());
  await deploy(a, join(import.meta.dirname, "modules", "numbers.ts"));
  const listed = await a.call("GET", "/v1/cluster", undefined, { token: null });
  expect(listed).toMatchObject({
    status: 200,
    json: { runtime: "dva", applications: [{ app: "/numbers", runtime: "dva", version: expect.stringMatching(/^[0-9a-f]{16}$/), stopped: false, deploying: false, portals: [] }] },
  });
  expect(listed.json.applications[0].streams).toContain("/numbers/workflows/double/stream");
  expect(await alone.call("GET", "/v1/cluster")).toMatchObject({ status: 404, json: { error: "this server is not in a cluster: start it with --nats <url> --runtime <name> (docs/cluster.md)" } });
  const printed = portalsCluster(a.url);
  expect({ code: printed.code, json: JSON.parse(printed.out) }).toEqual({ code: 0, json: listed.json });
  expect(portalsCluster(alone.url)).toEqual({
    code: 1,
    out: "",
    err: "portals: error: GET /v1/cluster: 404 this server is not in a cluster: start it with --nats <url> --runtime <name> (docs/cluster.md)\n",
  });
  await a.stop();
  await alone.stop();
  await nats.stop();
}, 60_000);

test("a runtime cut off from NATS says so in /healthz (still 200: it runs its applications) and /metrics, with the atoms it has not published yet", async () => {
  const nats = await startNats();
  const a = await startServer(tempDir(), ["--nats", nats.url, "--runtime", "dvh"]);
  const b = await startServer(tempDir(), ["--nats", nats.url, "--runtime", "dvr"]);
  await deploy(a, join(import.meta.dirname, "modules", "numbers.ts"));
  await expect.poll(async () => (await deployOnce(b, join(import.meta.dirname, "modules", "tally.ts"))).code, { timeout: 20_000, interval: 200 }).toBe(0);
  const metric = async (line: RegExp): Promise<number | undefined> => {
    const m = line.exec((await a.call("GET", "/metrics")).text);
    return m === null ? undefined : Number(m[1]);
  };
  const unpublished = /^portals_export_unpublished_atoms\{stream="\/numbers\/workflows\/double\/stream"\} (\d+)$/m;
  expect(await a.call("GET", "/healthz")).toMatchObject({ status: 200, json: { status: "ok", applications: 1, cluster: { runtime: "dvh", reachable: true } } });
  expect(await metric(/^portals_cluster_reachable (\d)$/m)).toBe(1);
  // Published once B reads it: nothing left over after a send.
  expect((await a.call("POST", "/v1/streams/numbers/in", [1])).status).toBe(200);
  await expect.poll(() => metric(unpublished), { timeout: 10_000, interval: 100 }).toBe(0);
  expect(await metric(/^portals_export_stopped\{stream="\/numbers\/workflows\/double\/stream"\} (\d)$/m)).toBe(0);
  await nats.kill();
  await expect.poll(async () => (await a.call("GET", "/healthz")).json.cluster?.reachable, { timeout: 10_000, interval: 100 }).toBe(false);
  expect((await a.call("GET", "/healthz")).status).toBe(200);
  expect(await metric(/^portals_cluster_reachable (\d)$/m)).toBe(0);
  // The log says so too, as the 503s of calls that need the cluster point to it (a fresh user's trial found it silent).
  expect(a.output()).toContain(`lost NATS at ${nats.url}; the applications run here, and reach the cluster again once it is back`);
  expect((await a.call("POST", "/v1/streams/numbers/in", [2])).status).toBe(200);
  expect((await a.call("POST", "/v1/streams/numbers/in", [3])).status).toBe(200);
  expect(await metric(unpublished)).toBe(2);
  await nats.restart();
  await expect.poll(() => metric(unpublished), { timeout: 20_000, interval: 200 }).toBe(0);
  expect(await metric(/^portals_cluster_reachable (\d)$/m)).toBe(1);
  expect(a.output()).toContain(`NATS at ${nats.url} is back: the cluster can be reached again`);
  await a.stop();
  await b.stop();
  await nats.stop();
}, 90_000);
