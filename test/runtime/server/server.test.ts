/**
 * `portals serve` as a client meets it (docs/live.md, "The server"): a real server process on an
 * ephemeral loopback port; every endpoint's success and error paths; the token; idempotent asks
 * and sends across SIGKILL and restart.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startServer as startInProcess } from "../../../runtime/server/server.js";
import { killAll, startServer, type ServerProcess } from "../../support/server.js";

const BUNDLES = join(import.meta.dirname, "bundles");
/**
 * A bundle of bundles/: `inventory-v2.mjs` is inventory.mjs replying with its version (same graph),
 * `inventory-more.mjs` inventory.mjs with one more workflow (another graph).
 */
function bundle(name: string): string {
  const inventory = readFileSync(join(BUNDLES, "inventory.mjs"), "utf8");
  if (name === "inventory-v2.mjs") return inventory.replace("ctx.reply(count.get());", "ctx.reply({ count: count.get(), version: 2 });");
  if (name === "inventory-more.mjs") return inventory.replace(/\.sink\(\);\n\}\);\n$/, '.sink();\n  app.workflows("audit").source(restock.stream).identity().sink();\n});\n');
  return readFileSync(join(BUNDLES, name), "utf8");
}
const dirs: string[] = [];
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), "portals-serve-"));
  dirs.push(d);
  return d;
}

afterAll(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function deploy(server: ServerProcess, name: string, token?: string | null) {
  return server.call("POST", "/v1/deployments", undefined, { raw: bundle(name), type: "application/javascript", ...(token !== undefined ? { token } : {}) });
}

describe("a server with the inventory deployed", () => {
  let server: ServerProcess;
  let dir: string;
  beforeAll(async () => {
    dir = dataDir();
    server = await startServer(dir);
    const deployed = await deploy(server, "inventory.mjs");
    expect(deployed.status).toBe(201);
    expect(deployed.json).toEqual({
      deployment: 1,
      apps: [{ name: "inventory", path: "/inventory", deployment: 1, portals: ["/inventory/portals/stock"], streams: ["restock"], stopped: false }],
    });
  }, 60_000);
  afterAll(() => server?.stop());

  test("the token is printed once and stored with mode 0600", () => {
    expect(server.output()).toContain(`token for mutating calls (shown once; stored in`);
    expect(server.output()).toContain(server.token);
    expect(statSync(join(dir, "token")).mode & 0o777).toBe(0o600);
  });

  test("asks: replies, replier errors, unknown portals and apps, bad JSON, bad options", async () => {
    const ask = (body: unknown, path = "/v1/portals/inventory/stock") => server.call("POST", path, body);
    expect(await ask({ op: "add", item: "apple", n: 3 })).toMatchObject({ status: 200, json: { reply: 3 } });
    expect(await ask({ op: "get", item: "apple" })).toMatchObject({ status: 200, json: { reply: 3 } });
    const failed = await ask({ op: "add", item: "apple", n: -1 });
    expect(failed).toMatchObject({ status: 422, json: { error: expect.stringContaining("cannot add -1 of apple") } });
    expect(await ask({}, "/v1/portals/inventory/nope")).toMatchObject({ status: 404, json: { error: expect.stringContaining("/inventory/portals/stock") } });
    expect(await ask({}, "/v1/portals/nope/stock")).toMatchObject({ status: 404 });
    expect(await server.call("POST", "/v1/portals/inventory/stock", undefined, { raw: "{bad" })).toMatchObject({ status: 400, json: { error: expect.stringContaining("JSON") } });
    expect(await server.call("POST", "/v1/portals/inventory/stock")).toMatchObject({ status: 400, json: { error: expect.stringContaining("JSON body") } });
    expect(await server.call("POST", "/v1/portals/inventory/stock?timeoutMs=0", {})).toMatchObject({ status: 400, json: { error: expect.stringContaining("timeoutMs") } });
    expect(await server.call("POST", "/v1/portals/in%20valid/stock", {})).toMatchObject({ status: 400 });
    // The server goes on after each.
    expect(await ask({ op: "get", item: "apple" })).toMatchObject({ status: 200, json: { reply: 3 } });
  });

  test("an idempotent ask is done once", async () => {
    const headers = { "idempotency-key": "add-pear-1" };
    const first = await server.call("POST", "/v1/portals/inventory/stock", { op: "add", item: "pear", n: 2 }, { headers });
    const again = await server.call("POST", "/v1/portals/inventory/stock", { op: "add", item: "pear", n: 2 }, { headers });
    expect([first.json, again.json]).toEqual([{ reply: 2 }, { reply: 2 }]);
    expect((await server.call("POST", "/v1/portals/inventory/stock", { op: "get", item: "pear" })).json).toEqual({ reply: 2 });
    const reused = await server.call("POST", "/v1/portals/inventory/stock", { op: "add", item: "pear", n: 9 }, { headers });
    expect(reused).toMatchObject({ status: 422, json: { error: expect.stringContaining("idempotency key was used with another request") } });
  });

  test("sends: one atom each, idempotent by key, only arrays, only ingestion streams", async () => {
    const send = (body: unknown, headers: Record<string, string> = {}, path = "/v1/streams/inventory/restock") => server.call("POST", path, body, { headers });
    const first = await send([{ item: "fig", n: 5 }, { item: "fig", n: 1 }], { "idempotency-key": "r1" });
    expect(first).toMatchObject({ status: 200, json: { duplicate: false } });
    expect(await send([{ item: "fig", n: 5 }, { item: "fig", n: 1 }], { "idempotency-key": "r1" })).toMatchObject({ status: 200, json: { atom: first.json.atom, duplicate: true } });
    await expect.poll(async () => (await server.call("POST", "/v1/portals/inventory/stock", { op: "get", item: "fig" })).json).toEqual({ reply: 6 });
    expect(await send({ item: "fig" })).toMatchObject({ status: 400, json: { error: expect.stringContaining("array") } });
    expect(await send([], {}, "/v1/streams/inventory/nope")).toMatchObject({ status: 404, json: { error: expect.stringContaining("/inventory/generators/nope") } });
  });

  test("mutating calls need the token; reads are open", async () => {
    for (const token of [null, "wrong-token-of-some-length"]) {
      expect(await server.call("POST", "/v1/portals/inventory/stock", { op: "get", item: "a" }, { token })).toMatchObject({ status: 401, json: { error: expect.stringContaining("Bearer") } });
      expect(await server.call("POST", "/v1/streams/inventory/restock", [], { token })).toMatchObject({ status: 401 });
      expect((await deploy(server, "inventory.mjs", token)).status).toBe(401);
    }
    // The scheme name is case-insensitive (found by a fresh user: "bearer" was refused).
    expect((await server.call("POST", "/v1/portals/inventory/stock", { op: "get", item: "a" }, { token: null, headers: { authorization: `bearer ${server.token}` } })).status).toBe(200);
    expect((await server.call("GET", "/healthz", undefined, { token: null })).json).toEqual({ status: "ok", applications: 1 });
    const metrics = await server.call("GET", "/metrics", undefined, { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^portals_portal_requests_total\{app="inventory",portal="stock",outcome="reply"\} \d+$/m);
    expect(metrics.text).toMatch(/^portals_checkpoints_total [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^# TYPE portals_steps_total counter$/m);
    expect(metrics.text).toMatch(/^portals_process_cpu_seconds_total /m);
    expect(metrics.text).toContain("portals_portal_request_duration_seconds_bucket");
    expect(metrics.text).toMatch(/^portals_app_events\{app="inventory"\} [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^portals_app_parked_continuations\{app="inventory"\} 0$/m);
  });

  test("apps and their graphs; the OpenAPI document lists every route", async () => {
    expect((await server.call("GET", "/v1/apps")).json.apps.map((a: { name: string }) => a.name)).toEqual(["inventory"]);
    const graph = (await server.call("GET", "/v1/apps/inventory")).json;
    expect(graph.portals).toEqual([{ path: "/inventory/portals/stock", servedBy: "/inventory/workflows/stock" }]);
    expect(graph.workflows[0]).toMatchObject({ path: "/inventory/workflows/stock", serves: ["/inventory/portals/stock"], asks: [] });
    expect(await server.call("GET", "/v1/apps/nope")).toMatchObject({ status: 404, json: { error: expect.stringContaining("running: inventory") } });
    const openapi = (await server.call("GET", "/openapi.json")).json;
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths).sort()).toEqual(["/healthz", "/metrics", "/v1/apps", "/v1/apps/{app}", "/v1/auth", "/v1/cluster", "/v1/deployments", "/v1/portals/{app}/{portal}", "/v1/sql/{app}/{table}", "/v1/streams/{*}", "/v1/streams/{app}/{stream}"]);
    expect(await server.call("GET", "/nowhere")).toMatchObject({ status: 404, json: { error: expect.stringContaining("/openapi.json") } });
  });

  test("deployments that are refused leave nothing and the server keeps running", async () => {
    const modules = () => readdirSync(join(dir, "deployments")).filter((f) => f.endsWith(".mjs"));
    const before = modules();
    const throws = await deploy(server, "throws.mjs");
    expect(throws).toMatchObject({ status: 422, json: { error: expect.stringMatching(/^the module threw while it was imported: Error: boom while importing \(at .*\)$/) } });
    // Found by a fresh user: the module of a deployment that threw stayed in the data directory.
    expect(modules()).toEqual(before);
    const missing = await deploy(server, "needs-missing.mjs");
    expect(missing).toMatchObject({ status: 422, json: { problems: [expect.stringContaining("/missing/workflows/w/stream")] } });
    // Found by a fresh user: the message said "module the module".
    expect(await deploy(server, "not-an-app.mjs")).toMatchObject({ status: 422, json: { error: expect.stringMatching(/^the module: the default export is a number \(42\), not an application; end the module with/) } });
    // The same code again is an upgrade that changes nothing.
    expect(await deploy(server, "inventory.mjs")).toMatchObject({ status: 200, json: { upgraded: ["inventory"], changed: [] } });
    expect(await server.call("POST", "/v1/deployments", undefined, { raw: "", type: "application/javascript" })).toMatchObject({ status: 400 });
    expect((await server.call("GET", "/v1/apps")).json.apps.map((a: { name: string }) => a.name)).toEqual(["inventory"]);
    expect((await server.call("GET", "/healthz")).status).toBe(200);
    expect(modules().length).toBe(before.length + 1);
    for (const file of [...modules(), "../deployments.json"]) expect(statSync(join(dir, "deployments", file)).mode & 0o777).toBe(0o600);
  });

  test("a stream's events as Server-Sent Events", async () => {
    const restocks = await fetch(`${server.url}/v1/streams/inventory/generators/restock/stream`);
    expect(restocks.headers.get("content-type")).toBe("text/event-stream");
    const events = restocks.body!.getReader();
    await events.read(); // the ": tailing" comment: the tail is in place
    await server.call("POST", "/v1/streams/inventory/restock", [{ item: "kiwi", n: 1 }, { item: "kiwi", n: 2 }]);
    let text = "";
    while (!text.includes('"n":2')) text += new TextDecoder().decode((await events.read()).value);
    expect(text).toContain('data: {"item":"kiwi","n":1}\n\ndata: {"item":"kiwi","n":2}\n\n');
    await events.cancel();
    expect(await server.call("GET", "/v1/streams/inventory/workflows/nope/stream")).toMatchObject({ status: 404, json: { error: expect.stringContaining("no stream") } });
    // Found by a fresh user: sends name the stream inventory/restock, and its tail path was nowhere to be found.
    expect(await server.call("GET", "/v1/streams/inventory/restock")).toMatchObject({
      status: 404,
      json: {
        error:
          "no stream /inventory/restock in the running applications (a stream path ends in /stream: /<app>/workflows/<name>/stream, /<app>/generators/<name>/stream); " +
          "the events sent to inventory/restock are on /inventory/generators/restock/stream",
      },
    });
  });

  test("DELETE /v1/apps/{app} stops an application; the token is needed", async () => {
    const extra = bundle("inventory.mjs").replace('PortalsApp("inventory"', 'PortalsApp("spare"');
    expect((await server.call("POST", "/v1/deployments", undefined, { raw: extra, type: "application/javascript" })).status).toBe(201);
    expect((await server.call("DELETE", "/v1/apps/spare", undefined, { token: null })).status).toBe(401);
    expect(await server.call("DELETE", "/v1/apps/nope")).toMatchObject({ status: 404, json: { error: expect.stringContaining("no application nope is running") } });
    expect(await server.call("DELETE", "/v1/apps/spare")).toMatchObject({ status: 200, json: { stopped: "spare" } });
    expect((await server.call("GET", "/v1/apps")).json.apps.find((a: { name: string }) => a.name === "spare")).toMatchObject({ stopped: true });
    expect(await server.call("POST", "/v1/portals/spare/stock", { op: "get", item: "a" })).toMatchObject({ status: 404, json: { error: expect.stringContaining("was stopped") } });
  });

  test("a stopped application keeps its name and its streams have ended; what asks it is refused", async () => {
    // "spare" was stopped by the test before.
    const spare = bundle("inventory.mjs").replace('PortalsApp("inventory"', 'PortalsApp("spare"');
    expect(await server.call("POST", "/v1/deployments", undefined, { raw: spare, type: "application/javascript" })).toMatchObject({
      status: 422,
      json: { error: "spare was stopped and keeps its name; deploy it under another name" },
    });
    expect(await server.call("GET", "/v1/streams/spare/generators/restock/stream")).toMatchObject({ status: 404, json: { error: expect.stringContaining("was stopped") } });
  });

  test("malformed calls get a JSON 4xx: a scalar where an array is due, a bad URL encoding, a body that is not JSON", async () => {
    expect(await server.call("POST", "/v1/streams/inventory/restock", 5)).toMatchObject({ status: 400, json: { error: expect.stringContaining("array") } });
    expect(await server.call("GET", "/v1/apps/%E0%A4%A")).toMatchObject({ status: 400, json: { error: expect.any(String) } });
    const deep = "[".repeat(10_000) + "1" + "]".repeat(10_000);
    expect(await server.call("POST", "/v1/portals/inventory/stock", undefined, { raw: deep, headers: { "idempotency-key": "deep" } })).toMatchObject({
      status: 400,
      json: { error: "arrays and objects in the request nest more than 256 levels deep; flatten the request" },
    });
    expect((await server.call("POST", "/v1/streams/inventory/restock", [{ item: "kiwi", n: 1 }], { headers: { "idempotency-key": "kiwi" } })).status).toBe(200);
    expect(await server.call("POST", "/v1/streams/inventory/restock", [{ item: "kiwi", n: 100 }], { headers: { "idempotency-key": "kiwi" } })).toMatchObject({
      status: 422,
      json: { error: "this idempotency key was used with other events; use a new key for a new send" },
    });
    expect(await server.call("POST", "/v1/portals/inventory/stock", undefined, { raw: '{"op": "get", item' })).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/^the body is not valid JSON: /) },
    });
    expect(await server.call("POST", "/v1/portals/inventory/stock", undefined, { raw: " " })).toMatchObject({ status: 400, json: { error: "the body is empty: send the request as JSON" } });
    // Found by a fresh user: valid JSON with a __proto__ key was called "not valid JSON".
    for (const raw of ['{"__proto__": {"x": 1}, "op": "get"}', '{"constructor": {"prototype": {}}, "op": "get"}']) {
      expect(await server.call("POST", "/v1/portals/inventory/stock", undefined, { raw })).toMatchObject({
        status: 400,
        json: { error: 'the JSON body has a "__proto__" or "constructor": { "prototype" } key, which is refused (it could change what objects inherit); rename the key' },
      });
    }
    // Found by the second trial: a bundle's content type was accepted for asks, and JSON for deployments was a 400 about the schema.
    expect(await server.call("POST", "/v1/portals/inventory/stock", undefined, { raw: '{"op":"get","item":"a"}', type: "application/javascript" })).toMatchObject({
      status: 415,
      json: { error: "Content-Type application/javascript is not accepted here: send the request as JSON with Content-Type: application/json" },
    });
    expect(await server.call("POST", "/v1/deployments", { code: "x" })).toMatchObject({
      status: 415,
      json: { error: "Content-Type application/json is not accepted here: send the module bundle with Content-Type: application/javascript (portals deploy does)" },
    });
    // Fastify's default would hand the portal the body's text as a string.
    expect(await server.call("POST", "/v1/portals/inventory/stock", undefined, { raw: '{"op":"get","item":"a"}', type: "text/plain" })).toMatchObject({
      status: 415,
      json: { error: "Content-Type text/plain is not accepted: send the body as JSON with Content-Type: application/json (a deployment as application/javascript)" },
    });
  });

  test("deployed code that throws from a timer does not stop the server", async () => {
    const bomb = 'import { PortalsApp } from "portals-ts";\nsetTimeout(() => { throw new Error("bomb went off"); }, 50);\nexport default PortalsApp("bomb", () => {});\n';
    expect((await server.call("POST", "/v1/deployments", undefined, { raw: bomb, type: "application/javascript" })).status).toBe(201);
    await new Promise((r) => setTimeout(r, 300));
    expect((await server.call("GET", "/healthz")).status).toBe(200);
    expect(server.output()).toContain("uncaught exception in deployed code, the server goes on: Error: bomb went off");
  });

  test("portals and streams named with $ are reached over HTTP", async () => {
    const dollar =
      'import { PortalsApp } from "portals-ts";\n' +
      'export default PortalsApp("dollar", (app) => {\n' +
      '  const p = app.portal("p$1");\n' +
      '  app.workflows("w").source(app.generators.http("in$").stream).replier(p, () => {}, (x, ctx) => ctx.reply(x + 1)).sink();\n' +
      "});\n";
    expect((await server.call("POST", "/v1/deployments", undefined, { raw: dollar, type: "application/javascript" })).status).toBe(201);
    expect(await server.call("POST", "/v1/portals/dollar/p$1", 1)).toMatchObject({ status: 200, json: { reply: 2 } });
    expect(await server.call("POST", "/v1/streams/dollar/in$", [1])).toMatchObject({ status: 200, json: { duplicate: false } });
  });

  test("an ask without an answer within ?timeoutMs is a 504; a retry with its key gets the answer", async () => {
    const slow =
      'import { PortalsApp } from "portals-ts";\n' +
      'export default PortalsApp("slow", (app) => {\n' +
      '  const double = app.portal("double");\n' +
      "  app.workflows(\"w\").source(app.generators.empty().stream).replier(double, () => {}, (x, ctx) => { const until = Date.now() + 30; while (Date.now() < until); ctx.reply(x * 2); }).sink();\n" +
      "});\n";
    expect((await server.call("POST", "/v1/deployments", undefined, { raw: slow, type: "application/javascript" })).status).toBe(201);
    const key = { "idempotency-key": "slow-1" };
    expect(await server.call("POST", "/v1/portals/slow/double?timeoutMs=1", 21, { headers: key })).toMatchObject({
      status: 504,
      json: { error: "no answer from /slow/portals/double within 1 ms; ask again with the same idempotency key to get it once it exists" },
    });
    expect(await server.call("POST", "/v1/portals/slow/double", 21, { headers: key })).toMatchObject({ status: 200, json: { reply: 42 } });
  });

  test("a body over the limit is refused with the limit", async () => {
    const big = JSON.stringify({ op: "get", item: "x".repeat(1024 * 1024 + 10) });
    expect(await server.call("POST", "/v1/portals/inventory/stock", undefined, { raw: big })).toMatchObject({ status: 413, json: { error: "the body is larger than the limit of 1048576 bytes for JSON" } });

  });
});

describe("upgrades", () => {
  test("a deployment of a running application's new code upgrades it in place, also across SIGKILL", async () => {
    const dir = dataDir();
    const first = await startServer(dir);
    expect((await deploy(first, "inventory.mjs")).status).toBe(201);
    expect((await first.call("POST", "/v1/portals/inventory/stock", { op: "add", item: "plum", n: 3 })).json).toEqual({ reply: 3 });
    const more = await deploy(first, "inventory-more.mjs");
    expect(more).toMatchObject({ status: 422, json: { problems: expect.arrayContaining([expect.stringContaining("workflow /inventory/workflows/audit is new")]) } });
    expect(await deploy(first, "inventory-v2.mjs")).toMatchObject({ status: 200, json: { deployment: 2, upgraded: ["inventory"], changed: [] } });
    expect((await first.call("POST", "/v1/portals/inventory/stock", { op: "add", item: "plum", n: 1 })).json).toEqual({ reply: { count: 4, version: 2 } });
    await first.kill();
    const second = await startServer(dir);
    expect((await second.call("POST", "/v1/portals/inventory/stock", { op: "get", item: "plum" })).json).toEqual({ reply: { count: 4, version: 2 } });
    expect((await second.call("GET", "/v1/apps")).json.apps).toMatchObject([{ name: "inventory", deployment: 2 }]);
    await second.stop();
  }, 120_000);
});

test("an upgrade the server stopped in before its checkpoint is dropped at the next start: the old code goes on", async () => {
  const dir = dataDir();
  const first = await startServer(dir);
  expect((await deploy(first, "inventory.mjs")).status).toBe(201);
  expect((await first.call("POST", "/v1/portals/inventory/stock", { op: "add", item: "fig", n: 2 })).json).toEqual({ reply: 2 });
  await first.stop();
  // What a crash between recording an upgrade and its checkpoint leaves: the record, the module, the old snapshot.
  writeFileSync(join(dir, "deployments/2.mjs"), bundle("inventory-more.mjs"));
  const records = JSON.parse(readFileSync(join(dir, "deployments.json"), "utf8"));
  writeFileSync(join(dir, "deployments.json"), JSON.stringify([...records, { id: 2, apps: ["inventory"], at: new Date().toISOString(), pending: true }]));
  const second = await startServer(dir);
  expect((await second.call("POST", "/v1/portals/inventory/stock", { op: "get", item: "fig" })).json).toEqual({ reply: 2 });
  expect(JSON.parse(readFileSync(join(dir, "deployments.json"), "utf8")).map((r: { id: number }) => r.id)).toEqual([1]);
  expect(existsSync(join(dir, "deployments/2.mjs"))).toBe(false);
  await second.stop();
}, 120_000);

test("a data directory first served by another install of portals-ts (moved, or deleted since) restarts with this one's", async () => {
  const dir = dataDir();
  const first = await startServer(dir);
  expect((await deploy(first, "inventory.mjs")).status).toBe(201);
  expect((await first.call("POST", "/v1/portals/inventory/stock", { op: "add", item: "kiwi", n: 5 })).json).toEqual({ reply: 5 });
  await first.stop();
  const link = join(dir, "deployments/node_modules/portals-ts");
  const ours = readlinkSync(link);
  // Found by a fresh user: another checkout's package (refused as "another copy of portals-ts"), then one deleted (the link dangled: EEXIST).
  const other = dataDir();
  cpSync(join(ours, "package.json"), join(other, "package.json"));
  for (const target of [other, join(other, "deleted")]) {
    rmSync(link);
    symlinkSync(target, link, "dir");
    const again = await startServer(dir);
    expect((await again.call("POST", "/v1/portals/inventory/stock", { op: "get", item: "kiwi" })).json).toEqual({ reply: 5 });
    await again.stop();
    expect(readlinkSync(link)).toBe(ours);
  }
}, 120_000);

test("a second server on a data directory in use refuses to start; an unusable token file too", async () => {
  const dir = dataDir();
  const first = await startServer(dir);
  await expect(startServer(dir)).rejects.toThrow(/data directory .* is in use by process \d+/);
  // Found by a fresh user: a start that failed on its port kept the token it made, never shown.
  const other = dataDir();
  const port = new URL(first.url).port;
  await expect(startServer(other, ["--port", port])).rejects.toThrow(`port ${port} on 127.0.0.1 is in use: stop what listens there, or pick another with --port (0: any free port)`);
  expect(existsSync(join(other, "token"))).toBe(false);
  const shown = await startServer(other);
  await expect.poll(() => shown.output()).toContain(`token for mutating calls (shown once; stored in ${other}/token): ${shown.token}`);
  await shown.stop();
  await first.stop();
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  // Found by a fresh user: within the 0700 data directory, snapshots were 0755 and deployments 0644.
  expect(statSync(join(dir, "snapshots")).mode & 0o777).toBe(0o700);
  writeFileSync(join(dir, "token"), "short\n");
  await expect(startServer(dir)).rejects.toThrow(/the token in .*token is not usable/);
}, 60_000);

describe("across SIGKILL and restart", () => {
  test("state, deployments, idempotent asks and sends come back as the client was told", async () => {
    const dir = dataDir();
    const first = await startServer(dir, ["--token", "a-token-of-sixteen-or-more"]);
    expect(first.output()).not.toContain("token for mutating calls");
    expect((await deploy(first, "inventory.mjs")).status).toBe(201);
    const key = { "idempotency-key": "k-apple" };
    expect((await first.call("POST", "/v1/portals/inventory/stock", { op: "add", item: "apple", n: 4 }, { headers: key })).json).toEqual({ reply: 4 });
    const sent = await first.call("POST", "/v1/streams/inventory/restock", [{ item: "apple", n: 10 }], { headers: { "idempotency-key": "s1" } });
    expect(sent.json.duplicate).toBe(false);
    await first.kill();
    // What a kill in the middle of a deployment leaves (found by the second trial): gone at the next start.
    writeFileSync(join(dir, "deployments", "9.mjs.tmp"), "export default 1;\n");
    writeFileSync(join(dir, "deployments.json.tmp"), "[");

    const second = await startServer(dir, ["--token", "a-token-of-sixteen-or-more"]);
    expect(second.output()).toMatch(/restored snapshot \d{12}-\d{9}/);
    expect([existsSync(join(dir, "deployments", "9.mjs.tmp")), existsSync(join(dir, "deployments.json.tmp"))]).toEqual([false, false]);
    expect((await second.call("GET", "/v1/apps")).json.apps.map((a: { name: string }) => a.name)).toEqual(["inventory"]);
    expect((await second.call("POST", "/v1/portals/inventory/stock", { op: "add", item: "apple", n: 4 }, { headers: key })).json).toEqual({ reply: 4 });
    expect((await second.call("POST", "/v1/streams/inventory/restock", [{ item: "apple", n: 10 }], { headers: { "idempotency-key": "s1" } })).json).toEqual({ atom: sent.json.atom, duplicate: true });
    await expect.poll(async () => (await second.call("POST", "/v1/portals/inventory/stock", { op: "get", item: "apple" })).json).toEqual({ reply: 14 });
    await second.stop();
    expect(second.output()).toContain("portals server stopped");
  }, 120_000);
});

test("a body over a limit is refused naming that limit: JSON's, or the deployment bundle's", async () => {
  // In process, with small limits: a client still writing a body far over the limit meets a closed socket.
  const server = await startInProcess({ dataDir: dataDir(), port: 0, token: "a-token-of-sixteen-or-more", bodyLimit: 100, deploymentLimit: 1000, log: () => {} });
  try {
    const post = async (body: string, type: string) => {
      const response = await fetch(`${server.url}/v1/deployments`, { method: "POST", headers: { authorization: "Bearer a-token-of-sixteen-or-more", "content-type": type }, body });
      return { status: response.status, json: (await response.json()) as unknown };
    };
    expect(await post("//".padEnd(2000, "x"), "application/javascript")).toEqual({ status: 413, json: { error: "the bundle is larger than the limit of 1000 bytes for deployments" } });
    expect(await post(JSON.stringify("x".repeat(200)), "application/json")).toEqual({ status: 413, json: { error: "the body is larger than the limit of 100 bytes for JSON" } });
  } finally {
    await server.close();
  }
});

test("a server bound beyond loopback warns that reads need no token; one on loopback starts without warnings", async () => {
  const open = await startServer(dataDir(), ["--host", "0.0.0.0"]);
  await expect.poll(() => open.output()).toContain("[warn] listening on 0.0.0.0, beyond this machine: reads (apps, metrics, and tails of every stream) need no token, so whoever reaches 0.0.0.0 can read them");
  await open.stop();
  const loopback = await startServer(dataDir());
  await expect.poll(() => loopback.output()).toContain("token for mutating calls");
  // Found by a fresh user: every start printed Fastify's deprecation warning FSTDEP022.
  expect(loopback.output()).not.toMatch(/warn|Warning/);
  await loopback.stop();
}, 60_000);
