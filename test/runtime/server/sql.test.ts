/**
 * SQL over HTTP (docs/live.md, "Endpoints"): `POST /v1/sql/{app}/{table}` and `portals sql`
 * against a server in this process running a table of portals-ts/sql (examples/sql-kv/table.ts) and
 * a portal that is not a table's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventEmitter } from "node:events";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PortalsApp } from "portals-ts";
import { runCli } from "../../../runtime/cli/program.js";
import { CallError } from "../../../runtime/cli/client.js";
import { SqlSession } from "../../../runtime/cli/sql-client.js";
import { sqlCommand } from "../../../runtime/cli/sql-shell.js";
import { startServer, type RunningServer } from "../../../runtime/server/server.js";
import sqlKv from "../../../examples/sql-kv/table.js";

const TOKEN = "a-token-of-sixteen-or-more";
const dir = mkdtempSync(join(tmpdir(), "portals-sql-"));
let server: RunningServer;

/** A portal that answers what is not an SQL reply. */
const echo = PortalsApp("echo", (app) => {
  const portal = app.portal<unknown, unknown>("echo");
  app
    .workflows<never, never>("w")
    .source(app.generators.empty<never>().stream)
    .replier(portal, () => {}, (x, ctx) => ctx.reply({ echoed: x }))
    .sink();
});

beforeAll(async () => {
  server = await startServer({ dataDir: dir, port: 0, token: TOKEN, log: () => {} });
  server.system.launch([sqlKv, echo]);
}, 60_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sql(body: unknown, options: { path?: string; token?: string | null; raw?: string } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers["authorization"] = `Bearer ${token}`;
  const response = await fetch(`${server.url}${options.path ?? "/v1/sql/sqlkv/kv"}`, { method: "POST", headers, body: options.raw ?? JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Resolves once `ready()` holds (checked every 10 ms, for up to 20 s). */
async function until(ready: () => boolean): Promise<void> {
  for (let waited = 0; !ready(); waited += 10) {
    if (waited > 20_000) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An io capturing output. */
function captured() {
  const io = { stdout: "", stderr: "", out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t), now: () => performance.now() };
  return io;
}

describe("POST /v1/sql/{app}/{table}", () => {
  test("a write answers { affected }, a query { columns, rows }", async () => {
    expect(await sql({ sql: "INSERT INTO kv (k, v) VALUES (1, 10)" })).toEqual({ status: 200, json: { affected: 1 } });
    expect(await sql({ sql: "SELECT k, v FROM kv WHERE k = 1" })).toEqual({ status: 200, json: { columns: ["k", "v"], rows: [[1, 10]] } });
    expect(await sql({ sql: "SELECT v FROM kv WHERE k = $1", params: [1] })).toEqual({ status: 200, json: { columns: ["v"], rows: [[10]] } });
  });

  test("a failed statement is { error, code } with the code's status", async () => {
    const syntax = await sql({ sql: "SELEC k FROM kv" });
    expect(syntax).toEqual({ status: 400, json: { error: expect.any(String), code: "syntax" } });
    const duplicate = await sql({ sql: "INSERT INTO kv (k, v) VALUES (1, 11)" });
    expect(duplicate).toEqual({ status: 409, json: { error: expect.any(String), code: "constraint" } });
  });

  test("a retry with the same session and seq is answered again and applied once", async () => {
    const insert = { sql: "INSERT INTO kv (k, v) VALUES (2, 20)", session: "http-retry", seq: 0 };
    expect(await sql(insert)).toEqual({ status: 200, json: { affected: 1 } });
    expect(await sql(insert)).toEqual({ status: 200, json: { affected: 1 } });
    expect(await sql({ sql: "SELECT k, v FROM kv WHERE k = 2", session: "http-retry", seq: 1 })).toEqual({ status: 200, json: { columns: ["k", "v"], rows: [[2, 20]] } });
  });

  test("a malformed body is a 400 syntax error naming the problem, as the table answers one", async () => {
    expect(await sql({ sql: 5 })).toEqual({ status: 400, json: { error: '"sql" must be a non-empty string with one statement', code: "syntax" } });
    expect(await sql({ sql: "SELECT 1", seq: 0 })).toEqual({ status: 400, json: { error: '"seq" numbers the statements of a session: send "session" with it', code: "syntax" } });
    expect(await sql({ sql: "SELECT 1", limit: 3 })).toEqual({ status: 400, json: { error: 'unknown field "limit": a request has "sql", "params", "session" and "seq"', code: "syntax" } });
    expect(await sql(["SELECT 1"])).toEqual({ status: 400, json: { error: 'the request must be an object { "sql": "...", "session"?: "...", "seq"?: n, "params"?: [...] }', code: "syntax" } });
    expect(await sql(undefined, { raw: "{nope" })).toMatchObject({ status: 400, json: { error: expect.stringContaining("not valid JSON") } });
    expect(await sql({ sql: "SELECT 1" }, { path: "/v1/sql/sqlkv/kv?timeoutMs=0" })).toMatchObject({ status: 400, json: { error: expect.stringContaining("timeoutMs") } });
  });

  test("without the token 401; an unknown application or portal 404; a portal that is not a table's 422", async () => {
    expect(await sql({ sql: "SELECT k FROM kv" }, { token: null })).toMatchObject({ status: 401, json: { error: expect.stringContaining("Bearer") } });
    expect(await sql({ sql: "SELECT k FROM kv" }, { token: "wrong-token-of-some-length" })).toMatchObject({ status: 401 });
    expect(await sql({ sql: "SELECT k FROM kv" }, { path: "/v1/sql/nope/kv" })).toMatchObject({ status: 404, json: { error: expect.any(String) } });
    expect(await sql({ sql: "SELECT k FROM kv" }, { path: "/v1/sql/sqlkv/nope" })).toMatchObject({ status: 404, json: { error: expect.stringContaining("/sqlkv/portals/nope") } });
    expect(await sql({ sql: "SELECT 1" }, { path: "/v1/sql/echo/echo" })).toEqual({
      status: 422,
      json: {
        error: `portal /echo/portals/echo is not an SQL table's query portal (it answered {"echoed":{"sql":"SELECT 1"}}); ask it with POST /v1/portals/echo/echo, or name a table made by sqlTable`,
      },
    });
  });

  test("the route is in the OpenAPI document, with the token", async () => {
    const openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, { post: { security: unknown } }> };
    expect(openapi.paths["/v1/sql/{app}/{table}"]!.post.security).toEqual([{ bearer: [] }]);
  });
});

describe("portals sql", () => {
  const cli = (...args: string[]) => {
    const io = captured();
    return runCli(["sql", "--server", server.url, "--token", TOKEN, ...args], io).then((code) => ({ code, out: io.stdout, err: io.stderr }));
  };

  test("-e runs the statements in one session and prints each answer", async () => {
    expect(await cli("--table", "/sqlkv/portals/kv", "-e", "INSERT INTO kv (k, v) VALUES (3, 30); -- a comment; not a statement\nSELECT k, v FROM kv WHERE k = 3;")).toEqual({
      code: 0,
      out: "1 row affected\n k | v\n---+----\n 3 | 30\n(1 row)\n",
      err: "",
    });
    expect(await cli("--table", "sqlkv/portals/kv", "-e", "BEGIN; INSERT INTO kv (k, v) VALUES (4, 40); COMMIT; SELECT v FROM kv WHERE k = 4")).toEqual({
      code: 0,
      out: "BEGIN\n1 row affected\nCOMMIT\n v\n----\n 40\n(1 row)\n",
      err: "",
    });
  });

  test("-e stops at the first failed statement: exit 1, its message on stderr", async () => {
    const failed = await cli("--table", "/sqlkv/portals/kv", "-e", "SELECT v FROM kv WHERE k = 3; INSERT INTO kv (k, v) VALUES (3, 31); INSERT INTO kv (k, v) VALUES (5, 50)");
    expect(failed).toMatchObject({ code: 1, out: " v\n----\n 30\n(1 row)\n", err: expect.stringMatching(/^portals: error: .+\n$/) });
    expect((await cli("--table", "/sqlkv/portals/kv", "-e", "SELECT v FROM kv WHERE k = 5")).out).toBe(" v\n---\n(0 rows)\n");
  });

  test("usage errors exit 2; a portal that is not a table's and a missing token exit 1", async () => {
    expect(await cli("-e", "SELECT 1")).toMatchObject({ code: 2, err: expect.stringContaining("name the table with --table /<app>/portals/<table>") });
    expect(await cli("--table", "sqlkv/kv", "-e", "SELECT 1")).toMatchObject({ code: 2, err: expect.stringContaining("give the table's query portal as /<app>/portals/<table>") });
    expect(await cli("--table", "/echo/portals/echo", "-e", "SELECT 1")).toMatchObject({ code: 1, err: expect.stringContaining("422 portal /echo/portals/echo is not an SQL table's query portal") });
    const io = captured();
    expect(await runCli(["sql", "--server", server.url, "--table", "/sqlkv/portals/kv", "-e", "SELECT 1"], io)).toBe(1);
    expect(io.stderr).toContain("401");
  });

  test("statements on standard input run as a script", async () => {
    const io = captured();
    const input = Readable.from(["INSERT INTO kv (k, v)\n  VALUES (6, 60);\n", "SELECT k, v FROM kv WHERE k = 6\n"]);
    await sqlCommand({ server: server.url, token: TOKEN, table: "/sqlkv/portals/kv" }, io, {}, input);
    expect(io).toMatchObject({ stdout: "1 row affected\n k | v\n---+----\n 6 | 60\n(1 row)\n", stderr: "" });
  });

  test("-e that ends inside a transaction rolls it back: the key is not left locked", async () => {
    expect(await cli("--table", "/sqlkv/portals/kv", "-e", "INSERT INTO kv (k, v) VALUES (2002, 1)")).toEqual({ code: 0, out: "1 row affected\n", err: "" });
    expect(await cli("--table", "/sqlkv/portals/kv", "-e", "BEGIN; UPDATE kv SET v = 7 WHERE k = 2002;")).toEqual({
      code: 0,
      out: "BEGIN\n1 row affected\n",
      err: "portals: warning: the statements ended inside a transaction (BEGIN without COMMIT): it was rolled back\n",
    });
    // Stopped by an unknown command with the key locked: rolled back too, quietly.
    expect(await cli("--table", "/sqlkv/portals/kv", "-e", "BEGIN; UPDATE kv SET v = 8 WHERE k = 2002;\n\\x")).toEqual({
      code: 1,
      out: "BEGIN\n1 row affected\n",
      err: "portals: error: invalid command \\x: the commands are \\d, \\timing [on|off], \\q and \\?\n",
    });
    expect(await cli("--table", "/sqlkv/portals/kv", "-e", "UPDATE kv SET v = 9 WHERE k = 2002; SELECT v FROM kv WHERE k = 2002")).toEqual({
      code: 0,
      out: "1 row affected\n v\n---\n 9\n(1 row)\n",
      err: "",
    });
  });

  test("a script on standard input that ends inside a transaction rolls it back", async () => {
    const io = captured();
    await sqlCommand({ server: server.url, token: TOKEN, table: "/sqlkv/portals/kv" }, io, {}, Readable.from(["BEGIN;\nUPDATE kv SET v = 10 WHERE k = 2002;\n"]));
    expect(io).toMatchObject({ stdout: "BEGIN\n1 row affected\n", stderr: "portals: warning: the statements ended inside a transaction (BEGIN without COMMIT): it was rolled back\n" });
    expect((await cli("--table", "/sqlkv/portals/kv", "-e", "UPDATE kv SET v = 11 WHERE k = 2002")).out).toBe("1 row affected\n");
  });

  test("the prompt: the session named at the start, sql*> in a transaction, Ctrl-D rolls it back", async () => {
    const io = captured();
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = new PassThrough();
    let shown = "";
    output.on("data", (chunk: Buffer) => void (shown += chunk.toString()));
    const running = sqlCommand({ server: server.url, token: TOKEN, table: "/sqlkv/portals/kv" }, io, { PORTALS_SQL_HISTORY: join(dir, "history") }, input, { output, signals: new EventEmitter() });
    input.write("BEGIN;\n");
    await until(() => io.stdout.includes("BEGIN"));
    input.write("UPDATE kv SET v = 12 WHERE k = 2002;\n");
    await until(() => io.stdout.includes("1 row affected"));
    input.write("\x04");
    await running;
    // The prompts shown, without the terminal's cursor movements.
    const prompts = shown.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").match(/sql[*!'"$]?> /g);
    expect(io.stdout).toBe(`portals sql: /sqlkv/portals/kv at ${server.url}; end statements with ;, \\? for help, \\q to quit\nBEGIN\n1 row affected\n\n`);
    expect(io.stderr).toMatch(/^session [0-9a-f-]{36}: statements run in order; a transaction lasts until COMMIT or ROLLBACK\nROLLBACK \(the open transaction was rolled back on exit\)\n$/);
    expect(prompts).toEqual(["sql> ", "sql*> ", "sql*> "]);
    expect((await cli("--table", "/sqlkv/portals/kv", "-e", "UPDATE kv SET v = 13 WHERE k = 2002; SELECT v FROM kv WHERE k = 2002")).out).toBe("1 row affected\n v\n----\n 13\n(1 row)\n");
  });

  test("a signal stops the shell after the statement under way and rolls the transaction back", async () => {
    const io = captured();
    const input = new PassThrough();
    const signals = new EventEmitter();
    const running = sqlCommand({ server: server.url, token: TOKEN, table: "/sqlkv/portals/kv" }, io, {}, input, { output: new PassThrough(), signals });
    input.write("BEGIN;\nUPDATE kv SET v = 14 WHERE k = 2002;\n");
    await until(() => io.stdout.includes("1 row affected"));
    signals.emit("SIGTERM", "SIGTERM");
    await expect(running).rejects.toThrow(new CallError("stopped by SIGTERM: the statements after the last answer were not run"));
    expect(signals.listenerCount("SIGTERM")).toBe(0);
    expect(io).toMatchObject({ stdout: "BEGIN\n1 row affected\n", stderr: "" });
    expect((await cli("--table", "/sqlkv/portals/kv", "-e", "SELECT v FROM kv WHERE k = 2002")).out).toBe(" v\n----\n 13\n(1 row)\n");
  });

  test("a conflict names the session holding the key; ROLLBACK sent in that session ends its transaction", async () => {
    const holder = new SqlSession({ server: server.url, token: TOKEN }, { app: "sqlkv", table: "kv" });
    expect(await holder.run("BEGIN")).toEqual({ affected: 0 });
    expect(await holder.run("UPDATE kv SET v = 15 WHERE k = 2002")).toEqual({ affected: 1 });
    const body = JSON.stringify({ sql: "ROLLBACK", session: holder.id });
    expect(await cli("--table", "/sqlkv/portals/kv", "-e", "UPDATE kv SET v = 16 WHERE k = 2002")).toEqual({
      code: 1,
      out: "",
      err:
        `portals: error: key 2002 is locked by the transaction of session "${holder.id}"; if session "${holder.id}" was abandoned with its transaction open, end that transaction: ` +
        `curl -H "Authorization: Bearer $PORTALS_TOKEN" -H 'content-type: application/json' -d '${body}' ${server.url}/v1/sql/sqlkv/kv\n`,
    });
    // What the hint (and docs/sql.md) says: ROLLBACK in the abandoned session, without a seq.
    expect(await sql({ sql: "ROLLBACK", session: holder.id })).toEqual({ status: 200, json: { affected: 0 } });
    expect((await cli("--table", "/sqlkv/portals/kv", "-e", "UPDATE kv SET v = 16 WHERE k = 2002; SELECT v FROM kv WHERE k = 2002")).out).toBe("1 row affected\n v\n----\n 16\n(1 row)\n");
  });

  test("\\d prints the table's columns", async () => {
    expect(await cli("--table", "/sqlkv/portals/kv", "-e", "\\d")).toEqual({ code: 0, out: 'Table "kv"\n column\n--------\n k\n v\n(2 rows)\n', err: "" });
  });

  test("a server that cannot be reached is tried again, then named", async () => {
    // A port that was just free: nothing listens there.
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, "127.0.0.1", resolve));
    const port = (free.address() as AddressInfo).port;
    await new Promise((resolve) => free.close(resolve));
    const gone = new SqlSession({ server: `http://127.0.0.1:${port}`, token: TOKEN }, { app: "sqlkv", table: "kv" }, { retries: 2, firstDelayMs: 1, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) });
    await expect(gone.run("SELECT 1")).rejects.toThrow(new CallError(`cannot reach the server at http://127.0.0.1:${port} (ECONNREFUSED, 3 tries); start one with portals serve, or name it with --server or PORTALS_SERVER`));
  });
});
