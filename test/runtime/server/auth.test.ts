/**
 * `GET /v1/auth` (docs/live.md, "Endpoints"): a client checks a token without changing anything,
 * as the playground's Connect does. A real server on a loopback ephemeral port.
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
  dir = mkdtempSync(join(tmpdir(), "portals-auth-"));
  server = await startServer({ dataDir: dir, port: 0, token: TOKEN, corsOrigins: [PAGE], log: () => {} });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const check = (authorization?: string, method = "GET") => fetch(`${server.url}/v1/auth`, { method, headers: authorization === undefined ? {} : { authorization } });

test("the server's token is answered 204 with no body, in any case of the scheme", async () => {
  const response = await check(`Bearer ${TOKEN}`);
  expect(response.status).toBe(204);
  expect(await response.text()).toBe("");
  expect((await check(`bearer ${TOKEN}`)).status).toBe(204);
  expect((await check(`Bearer ${TOKEN}`, "HEAD")).status).toBe(204);
});

test("a wrong token, or none, is a 401 saying which, and HEAD is checked too", async () => {
  const wrong = await check("Bearer not-the-token-at-all-xx");
  expect(wrong.status).toBe(401);
  expect(((await wrong.json()) as { error: string }).error).toBe(
    "the token is not this server's: send Authorization: Bearer <token> (printed at the server's first start, stored in <data dir>/token)",
  );
  const none = await check();
  expect(none.status).toBe(401);
  expect(((await none.json()) as { error: string }).error).toMatch(/^no token was sent: send Authorization: Bearer <token>/);
  expect((await check(`Basic ${TOKEN}`)).status).toBe(401);
  expect((await check(undefined, "HEAD")).status).toBe(401);
});

test("checking changes nothing: the other reads stay open", async () => {
  for (let i = 0; i < 3; i++) expect((await check("Bearer wrong-wrong-wrong-wrong")).status).toBe(401);
  const apps = await fetch(`${server.url}/v1/apps`);
  expect(apps.status).toBe(200);
  expect(await apps.json()).toEqual({ apps: [] });
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
});

test("a page of a listed origin may check: the preflight allows the header, the answers carry CORS", async () => {
  const preflight = await fetch(`${server.url}/v1/auth`, { method: "OPTIONS", headers: { origin: PAGE, "access-control-request-method": "GET", "access-control-request-headers": "authorization" } });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get("access-control-allow-origin")).toBe(PAGE);
  const ok = await fetch(`${server.url}/v1/auth`, { headers: { origin: PAGE, authorization: `Bearer ${TOKEN}` } });
  expect(ok.status).toBe(204);
  expect(ok.headers.get("access-control-allow-origin")).toBe(PAGE);
  const refused = await fetch(`${server.url}/v1/auth`, { headers: { origin: PAGE, authorization: "Bearer wrong-wrong-wrong-wrong" } });
  expect(refused.status).toBe(401);
  expect(refused.headers.get("access-control-allow-origin")).toBe(PAGE);
});

test("the OpenAPI document has the route, secured by the bearer token", async () => {
  const openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, { get: { security: unknown; responses: Record<string, unknown> } }> };
  expect(openapi.paths["/v1/auth"]!.get.security).toEqual([{ bearer: [] }]);
  expect(Object.keys(openapi.paths["/v1/auth"]!.get.responses).sort()).toEqual(["204", "401"]);
});
