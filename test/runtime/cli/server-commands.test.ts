/**
 * The client commands of `portals` against a real server (docs/live.md): deploy (bundled with
 * the compiler's esbuild plugin), apps, ask, send and tail; one-line errors, exit 2 for usage,
 * exit 1 for a refused or failed call with the server's message.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT } from "../../compiler/fixtures.js";
import { CLI, killAll, startServer, type ServerProcess } from "../../support/server.js";

let server: ServerProcess;
const dir = mkdtempSync(join(tmpdir(), "portals-client-"));
beforeAll(async () => {
  server = await startServer(dir);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  killAll();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

function portals(args: string[], env: Record<string, string | undefined> = {}) {
  const run = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, PORTALS_SERVER: server.url, PORTALS_TOKEN: server.token, ...env },
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe("portals deploy, apps, ask, send, tail", () => {
  test("deploy bundles TypeScript with compiled operators; the cart before the inventory is refused", () => {
    const refused = portals(["deploy", "examples/shop/cart.ts"]);
    expect(refused).toMatchObject({ code: 1, out: "" });
    expect(refused.err).toBe(
      "portals: error: POST /v1/deployments: 422 the deployment was refused: application /cart: /cart/workflows/cart needs portal /inventory/portals/inventory, which no launched application defines; launch the application that defines it first (launched: none)\n",
    );
    expect(portals(["deploy", "examples/shop/inventory.ts"])).toMatchObject({ code: 0, out: "deployment 1 launched inventory\n" });
    expect(portals(["deploy", "examples/shop/cart.ts"])).toMatchObject({ code: 0, out: "deployment 2 launched cart\n" });
    expect(JSON.parse(portals(["apps"]).out).map((a: { name: string }) => a.name)).toEqual(["inventory", "cart"]);
  });

  test("ask and send print the answer as JSON; a retry with the same key is done once", () => {
    expect(portals(["ask", "inventory/inventory", '{"kind":"get","item":7}', "--idempotency-key", "g7"])).toMatchObject({ code: 0, out: '{"ok":true,"stock":4}\n' });
    expect(portals(["ask", "inventory/inventory", '{"kind":"get","item":7}', "--idempotency-key", "g7"])).toMatchObject({ code: 0, out: '{"ok":true,"stock":4}\n' });
    expect(portals(["send", "inventory/restock", '[{"item":7,"qty":10}]'])).toMatchObject({ code: 0, out: '{"atom":0,"duplicate":false}\n' });
    expect(portals(["ask", "/inventory/portals/inventory", '{"kind":"stock","item":7}'])).toMatchObject({ code: 0, out: '{"ok":true,"stock":14}\n' });
  });

  test("tail prints a stream's events as JSON lines", async () => {
    const child = spawn(process.execPath, [CLI, "tail", "/cart/workflows/cart/stream"], { cwd: ROOT, env: { ...process.env, PORTALS_SERVER: server.url } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((r) => setTimeout(r, 500));
    // Two sends: a checkout in the add's own atom would run while the add waits for the inventory.
    portals(["send", "cart/ops", '[{"op":"add","user":1,"item":3}]']);
    portals(["send", "cart/ops", '[{"op":"checkout","user":1}]']);
    await expect.poll(() => out, { timeout: 10_000 }).toContain('{"user":1,"items":[3]}');
    child.kill();
  });

  test("a tail whose server goes away says so (exit 1), not just 'terminated'", async () => {
    const bundle = 'import { PortalsApp } from "portals-ts";\nexport default PortalsApp("counter", (app) => { app.workflows("double").source(app.generators.http("in").stream).map((x) => x * 2).sink(); });\n';
    const own = await startServer(join(dir, "tail"));
    expect((await own.call("POST", "/v1/deployments", undefined, { raw: bundle, type: "application/javascript" })).status).toBe(201);
    const child = spawn(process.execPath, [CLI, "tail", "/counter/workflows/double/stream"], { cwd: ROOT, env: { ...process.env, PORTALS_SERVER: own.url } });
    let err = "";
    let out = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const code = new Promise<number | null>((resolve) => child.on("exit", resolve));
    // Kill the server only once the tail is connected: an event it prints says so (a fixed wait
    // was too short on a loaded machine, and the tail found no server at all).
    for (let n = 0; !out.includes("42"); n++) {
      if (n > 200) throw new Error(`the tail printed nothing in 20 s: ${err}`);
      await own.call("POST", "/v1/streams/counter/in", [21]);
      await new Promise((r) => setTimeout(r, 100));
    }
    await own.kill();
    expect(await code).toBe(1);
    expect(err).toMatch(new RegExp(`^portals: error: the server at ${own.url.replace(/[.]/g, "\\.")} closed the stream before it ended .*; tail it again once the server is back\n$`));
  });

  test("usage errors exit 2, refused calls exit 1, each one line", () => {
    expect(portals(["ask", "inventory", "{}"])).toMatchObject({ code: 2, err: expect.stringMatching(/^portals: error: portal "inventory": write it as <app>\/<portal>, e\.g\. shop\/inventory\n$/) });
    expect(portals(["ask", "inventory/inventory", "{nope"])).toMatchObject({ code: 2, err: expect.stringContaining("the request is not JSON") });
    expect(portals(["send", "inventory/restock", "[nope"])).toMatchObject({ code: 2, err: expect.stringMatching(/the events are not JSON .*; quote it for the shell, e\.g\. '\[\{"item":"apple"\}\]'\n$/) });
    expect(portals(["ask", "café/x", "1"])).toMatchObject({ code: 2, err: expect.stringContaining('(names are letters, digits, "_", "-" and ".", and "$" after the slash)') });
    // Found by the second trial: deep JSON overflowed the CLI's stack (exit 1).
    expect(portals(["send", "inventory/restock", "[".repeat(10_000) + "]".repeat(10_000)])).toMatchObject({
      code: 2,
      err: "portals: error: the events are nested more than 256 levels deep, which the server refuses; flatten it\n",
    });
    expect(portals(["send", "inventory/restock", "{}"])).toMatchObject({ code: 2, err: expect.stringContaining("must be a JSON array") });
    expect(portals(["deploy", "examples/shop/nope.ts"])).toMatchObject({ code: 2, err: expect.stringContaining("does not exist") });
    expect(portals(["deploy", "examples/shop/cart.js"])).toMatchObject({ code: 2, err: expect.stringContaining("does not exist (looked for " + join(ROOT, "examples/shop/cart.js") + "); did you mean examples/shop/cart.ts? deploy bundles TypeScript itself\n") });
    expect(portals(["ask", "inventory/nope", "{}"])).toMatchObject({ code: 1, err: expect.stringContaining("404 no portal /inventory/portals/nope") });
    expect(portals(["send", "inventory/restock", "[]"], { PORTALS_TOKEN: undefined })).toMatchObject({ code: 1, err: expect.stringContaining("401") });
    expect(portals(["apps"], { PORTALS_SERVER: "http://127.0.0.1:9" })).toMatchObject({ code: 1, err: expect.stringContaining("cannot reach the server at http://127.0.0.1:9") });
    expect(portals(["apps", "--server", "notaurl"])).toMatchObject({
      code: 2,
      err: 'portals: error: --server "notaurl" is not an http:// or https:// URL; give the server\'s address, e.g. http://127.0.0.1:8080\n',
    });
    // Found by a fresh user: these were reported as a server that cannot be reached.
    expect(portals(["ask", "inventory/inventory", "{}", "--idempotency-key", "ключ"])).toMatchObject({
      code: 2,
      err: "portals: error: --idempotency-key holds characters an HTTP header cannot carry; use printable ASCII\n",
    });
    expect(portals(["apps"], { PORTALS_TOKEN: "ab\ncd" })).toMatchObject({ code: 2, err: expect.stringContaining("the token (--token or PORTALS_TOKEN) holds characters") });
    expect(portals(["send", "inventory/restock", "[]", "--idempotency-key", ""])).toMatchObject({ code: 2, err: "portals: error: --idempotency-key takes 1 to 256 characters\n" });
    expect(portals(["apps"], { PORTALS_SERVER: "ftp://127.0.0.1" })).toMatchObject({ code: 2, err: expect.stringContaining('PORTALS_SERVER "ftp://127.0.0.1" is not an http:// or https:// URL') });
  });

  test("serve: bad flags are usage errors that leave nothing behind; a data directory that is a file and a host that is not this machine's are named", () => {
    const fresh = join(dir, "never-made");
    expect(portals(["serve", "--port", "0", "--data-dir", fresh, "--token", ""])).toMatchObject({
      code: 2,
      err: expect.stringContaining("option '--token <token>' argument '' is invalid. a token has at least 16 characters and no white space."),
    });
    expect(existsSync(fresh)).toBe(false);
    // Retention limits are about a cluster's streams, and are positive integers.
    expect(portals(["serve", "--port", "0", "--data-dir", fresh, "--nats-max-age-ms", "60000"])).toEqual({
      code: 2,
      out: "",
      err: "portals: error: --nats-max-age-ms is about a cluster: give the cluster's NATS server with --nats <url> too\n",
    });
    expect(portals(["serve", "--port", "0", "--data-dir", fresh, "--nats", "nats://127.0.0.1:1", "--runtime", "r", "--nats-max-bytes", "-5"])).toMatchObject({
      code: 2,
      err: expect.stringContaining("option '--nats-max-bytes <n>' argument '-5' is invalid. expected a positive integer."),
    });
    expect(portals(["serve", "--port", "0", "--data-dir", fresh, "--nats", "nats://127.0.0.1:1", "--runtime", "r", "--nats-max-age-ms", "10000000000000"])).toMatchObject({
      code: 2,
      err: expect.stringContaining("option '--nats-max-age-ms <n>' argument '10000000000000' is invalid. JetStream takes an age of at most 9223372036854 ms."),
    });
    expect(existsSync(fresh)).toBe(false);
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    expect(portals(["serve", "--port", "0", "--data-dir", file])).toMatchObject({ code: 1, err: `portals: error: data directory ${file} is a file: give a directory (it is created if missing)\n` });
    expect(portals(["serve", "--port", "0", "--data-dir", join(dir, "bad-host"), "--host", "999.1.1.1"])).toMatchObject({
      code: 1,
      err: "portals: error: host 999.1.1.1 is not an address of this machine: give one of its addresses, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)\n",
    });
  });

  test("a module that does not compile is refused before anything is sent, with its line", () => {
    const bad = portals(["deploy", "test/compiler/rejected/closure-awaited-arg/input.ts"]);
    expect(bad).toMatchObject({ code: 2, out: "" });
    expect(bad.err).toMatch(/^portals: error: module test\/compiler\/rejected\/closure-awaited-arg\/input\.ts does not compile: test\/compiler\/rejected\/closure-awaited-arg\/input\.ts:\d+:\d+ - portals: /);
    expect(JSON.parse(portals(["apps"]).out).map((a: { name: string }) => a.name)).toEqual(["inventory", "cart"]);
  });
});
