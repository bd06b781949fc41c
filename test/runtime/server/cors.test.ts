/**
 * `portals serve --cors-origin O` (docs/live.md, "The server"): pages of the listed origins may
 * call the server from a browser (the playground's Connect, docs/playground.md); other origins get
 * no CORS headers, and what changes something still needs the token.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startServer, type RunningServer } from "../../../runtime/server/server.js";

const PAGE = "http://127.0.0.1:5173";
const TOKEN = "a-token-of-sixteen-or-more";
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "portals-cors-"));
  server = await startServer({ dataDir: dir, port: 0, token: TOKEN, corsOrigins: [PAGE], log: () => {} });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function preflight(origin: string): Promise<Response> {
  return fetch(`${server.url}/v1/portals/app/portal`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
  });
}

test("a preflight from a listed origin is answered without the token, allowing the token's header", async () => {
  const response = await preflight(PAGE);
  expect(response.status).toBe(204);
  expect(response.headers.get("access-control-allow-origin")).toBe(PAGE);
  expect(response.headers.get("access-control-allow-methods")).toContain("POST");
  expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
});

test("another origin gets no CORS headers", async () => {
  const response = await preflight("http://evil.example");
  expect(response.headers.get("access-control-allow-origin")).toBeNull();
  const read = await fetch(`${server.url}/v1/apps`, { headers: { origin: "http://evil.example" } });
  expect(read.headers.get("access-control-allow-origin")).toBeNull();
});

test("calls from a listed origin carry the header, and a mutating one still needs the token", async () => {
  const read = await fetch(`${server.url}/v1/apps`, { headers: { origin: PAGE } });
  expect(read.status).toBe(200);
  expect(read.headers.get("access-control-allow-origin")).toBe(PAGE);
  const ask = await fetch(`${server.url}/v1/portals/app/portal`, { method: "POST", headers: { origin: PAGE, "content-type": "application/json" }, body: "1" });
  expect(ask.status).toBe(401);
  expect(ask.headers.get("access-control-allow-origin")).toBe(PAGE);
});
