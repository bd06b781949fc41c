/**
 * The parts of `portals sql` that need no server: cutting text into statements, printing
 * answers, the shell's lines and commands with a fake table, retries with a fake fetch, the
 * history file.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { CallError } from "../../../runtime/cli/client.js";
import type { CliIo } from "../../../runtime/cli/io.js";
import { UsageError } from "../../../runtime/cli/io.js";
import { SqlSession, sqlTableRef } from "../../../runtime/cli/sql-client.js";
import { cellText, formatReply, formatRows } from "../../../runtime/cli/sql-format.js";
import { readHistory, SqlLines, sqlCommand, writeHistory } from "../../../runtime/cli/sql-shell.js";
import { scriptStatements, splitStatements, transactionCommand, withoutLeadingComments } from "../../../runtime/cli/sql-text.js";
import type { SqlReply } from "../../../runtime/sql/protocol.js";

describe("splitStatements", () => {
  test("cuts at ; and keeps what follows the last one", () => {
    expect(splitStatements("SELECT 1; SELECT 2;\nSELECT")).toEqual({ statements: ["SELECT 1", "SELECT 2"], rest: "\nSELECT", open: null });
  });

  test("a ; inside quotes, with doubled quotes, is not an end", () => {
    const text = `INSERT INTO kv VALUES (1, 'a;b''c;'); SELECT "we;ird""col;" FROM kv;`;
    expect(splitStatements(text).statements).toEqual([`INSERT INTO kv VALUES (1, 'a;b''c;')`, `SELECT "we;ird""col;" FROM kv`]);
  });

  test("a ; inside comments is not an end; comments before a statement are dropped, those inside kept", () => {
    const text = "-- first; not an end\nSELECT 1 /* also; not */ ;\n/* a\n; b */ SELECT 2; -- trailing;";
    expect(splitStatements(text)).toEqual({ statements: ["SELECT 1 /* also; not */", "SELECT 2"], rest: " -- trailing;", open: null });
  });

  test("empty statements are dropped", () => {
    expect(splitStatements(";; ;\n-- only a comment\n; SELECT 1;;").statements).toEqual(["SELECT 1"]);
  });

  test("names the quote or comment the rest ends inside", () => {
    expect(splitStatements("SELECT 1; SELECT 'a;").open).toBe("'");
    expect(splitStatements('SELECT "a').open).toBe('"');
    expect(splitStatements("SELECT 1 /* x;").open).toBe("/*");
    expect(splitStatements("SELECT 'it''s'").open).toBeNull();
    // A lone - and a lone / are operators, not comments.
    expect(splitStatements("SELECT 4 - 2 / 1; SELECT 3").statements).toEqual(["SELECT 4 - 2 / 1"]);
  });

  test("dollar quotes $$…$$ and $tag$…$tag$ are quoted; $1 and a $ inside a name are not quotes", () => {
    expect(splitStatements("SELECT $$dollar;quoted$$ AS x FROM kv; SELECT 2;")).toEqual({ statements: ["SELECT $$dollar;quoted$$ AS x FROM kv", "SELECT 2"], rest: "", open: null });
    expect(splitStatements("SELECT $t$a;$$;'b$t$; SELECT $a$x$a$;").statements).toEqual(["SELECT $t$a;$$;'b$t$", "SELECT $a$x$a$"]);
    expect(splitStatements("SELECT v FROM kv WHERE k = $1; SELECT a$b$ FROM t$x; SELECT '$$';").statements).toEqual(["SELECT v FROM kv WHERE k = $1", "SELECT a$b$ FROM t$x", "SELECT '$$'"]);
    expect(splitStatements("SELECT $$a;")).toEqual({ statements: [], rest: "SELECT $$a;", open: "$" });
    expect(splitStatements("SELECT 1; SELECT $x$ a $$ ;").open).toBe("$");
    expect(splitStatements("SELECT $x$ a $x$ ;").open).toBeNull();
    expect(scriptStatements("SELECT $$;$$; SELECT 2")).toEqual(["SELECT $$;$$", "SELECT 2"]);
  });

  test("a script's last statement needs no ;", () => {
    expect(scriptStatements("INSERT INTO kv VALUES (1, 10); SELECT * FROM kv")).toEqual(["INSERT INTO kv VALUES (1, 10)", "SELECT * FROM kv"]);
    expect(scriptStatements("SELECT 1; -- done\n")).toEqual(["SELECT 1"]);
    expect(scriptStatements("  \n")).toEqual([]);
  });

  test("withoutLeadingComments and transactionCommand", () => {
    expect(withoutLeadingComments("  -- a\n /* b */ SELECT 1 \n")).toBe("SELECT 1");
    expect(withoutLeadingComments("/* open")).toBe("/* open");
    expect(["begin", "START TRANSACTION", "Commit", "end", "ROLLBACK", "abort", "INSERT INTO kv VALUES (1, 1)"].map(transactionCommand)).toEqual([
      "BEGIN",
      "BEGIN",
      "COMMIT",
      "COMMIT",
      "ROLLBACK",
      "ROLLBACK",
      undefined,
    ]);
  });
});

describe("formatting answers", () => {
  test("rows as psql prints them: names centred, numbers right, text left, NULL, the count", () => {
    const text = formatRows({
      columns: ["k", "name", "v"],
      rows: [
        [1, "apple", 10],
        [200, "kiwi", null],
        [3, null, -7.5],
      ],
    });
    expect(text).toBe(["  k  | name  |  v", "-----+-------+------", "   1 | apple |   10", " 200 | kiwi  | NULL", "   3 | NULL  | -7.5", "(3 rows)", ""].join("\n"));
  });

  test("one row, no rows, wide names, booleans, control characters", () => {
    expect(formatRows({ columns: ["k", "v"], rows: [[1, "ten"]] })).toBe(" k |  v\n---+-----\n 1 | ten\n(1 row)\n");
    expect(formatRows({ columns: ["key"], rows: [] })).toBe(" key\n-----\n(0 rows)\n");
    expect(formatRows({ columns: ["a_long_name", "b"], rows: [[true, "x"]] })).toBe(" a_long_name | b\n-------------+---\n true        | x\n(1 row)\n");
    expect(cellText("two\nlines\tand tab")).toBe("two\\nlines\\tand tab");
  });

  test("writes, transaction commands, errors", () => {
    expect(formatReply("INSERT INTO kv VALUES (1, 1)", { affected: 1 })).toBe("1 row affected\n");
    expect(formatReply("DELETE FROM kv", { affected: 0 })).toBe("0 rows affected\n");
    expect(formatReply("UPDATE kv SET v = 2", { affected: 3 })).toBe("3 rows affected\n");
    expect(formatReply("begin", { affected: 0 })).toBe("BEGIN\n");
    expect(formatReply("COMMIT", { affected: 0 })).toBe("COMMIT\n");
    expect(formatReply("ROLLBACK", { affected: 0 })).toBe("ROLLBACK\n");
    expect(formatReply("SELEC 1", { error: "syntax error at 1:1", code: "syntax" })).toBe("ERROR: syntax error at 1:1\n");
  });
});

/** An io capturing output, with a clock that advances 1.5 ms per reading. */
function captured(): CliIo & { stdout: string; stderr: string } {
  let t = 0;
  const io = {
    stdout: "",
    stderr: "",
    out: (text: string) => void (io.stdout += text),
    err: (text: string) => void (io.stderr += text),
    now: () => (t += 1.5),
  };
  return io;
}

/** A fake table: answers by the statement's first word, and records what it was sent. */
function fakeTable() {
  const sent: string[] = [];
  return {
    id: "s-fake",
    sent,
    async run(sql: string): Promise<SqlReply> {
      sent.push(sql);
      if (sql.startsWith("SELECT")) return { columns: ["k"], rows: [[1]] };
      if (sql.startsWith("INSERT")) return { affected: 1 };
      if (sql.startsWith("DOWN")) throw new CallError("cannot reach the server");
      return { error: `cannot run ${sql}`, code: "unsupported" };
    },
  };
}

describe("the shell's lines", () => {
  test("statements over several lines, the continuation prompt, comments and blank lines", async () => {
    const io = captured();
    const table = fakeTable();
    const lines = new SqlLines(table, io, false);
    expect(lines.prompt).toBe("sql> ");
    await lines.line("INSERT INTO kv");
    expect(lines.prompt).toBe("...> ");
    await lines.line("VALUES (1, 'a;");
    await lines.line("b'); SELECT k");
    expect(table.sent).toEqual(["INSERT INTO kv\nVALUES (1, 'a;\nb')"]);
    await lines.line("FROM kv; -- done");
    expect(lines.prompt).toBe("sql> ");
    await lines.line("");
    expect(lines.prompt).toBe("sql> ");
    expect(table.sent).toEqual(["INSERT INTO kv\nVALUES (1, 'a;\nb')", "SELECT k\nFROM kv"]);
    expect(io.stdout).toBe("1 row affected\n k\n---\n 1\n(1 row)\n");
  });

  test("interactive: failed statements and calls print ERROR and the shell goes on; Ctrl-C drops the unfinished statement", async () => {
    const io = captured();
    const table = fakeTable();
    const lines = new SqlLines(table, io, false);
    await lines.line("NOPE;");
    await lines.line("DOWN;");
    await lines.line("SELECT");
    lines.clear();
    expect(lines.prompt).toBe("sql> ");
    await lines.line("INSERT;");
    expect(io.stderr).toBe("ERROR: cannot run NOPE\nERROR: cannot reach the server\n");
    expect(io.stdout).toBe("1 row affected\n");
    expect(table.sent).toEqual(["NOPE", "DOWN", "INSERT"]);
  });

  test("commands: \\timing, \\?, unknown ones, \\q; a \\ inside a quote is text", async () => {
    const io = captured();
    const table = fakeTable();
    const lines = new SqlLines(table, io, false);
    expect(await lines.line("\\timing")).toBeUndefined();
    await lines.line("SELECT 1;");
    await lines.line("\\timing off");
    await lines.line("SELECT 1;");
    await lines.line("\\?");
    await lines.line("\\nope");
    await lines.line("INSERT 'x");
    await lines.line("\\q';");
    expect(await lines.line("  \\q")).toBe("quit");
    expect(io.stdout).toBe(
      "Timing is on.\n k\n---\n 1\n(1 row)\nTime: 1.500 ms\nTiming is off.\n k\n---\n 1\n(1 row)\n" +
        "Statements end with ; and may span lines. Commands:\n" +
        "  \\d                the table's columns\n" +
        "  \\timing [on|off]  print how long each statement took\n" +
        "  \\q                quit (Ctrl-D too); an open transaction is rolled back\n" +
        "  \\?                this help\n" +
        "The prompt is sql*> inside a transaction, sql!> inside one that failed (end it with ROLLBACK);\n" +
        "...> continues a statement, sql'> sql\"> sql$> a quote.\n" +
        "1 row affected\n",
    );
    expect(io.stderr).toBe("invalid command \\nope: the commands are \\d, \\timing [on|off], \\q and \\?\n");
    expect(table.sent).toEqual(["SELECT 1", "SELECT 1", "INSERT 'x\n\\q'"]);
  });

  test("scripts stop at the first failure; the end of the input runs the last statement", async () => {
    const io = captured();
    const table = fakeTable();
    const lines = new SqlLines(table, io, true);
    await lines.line("INSERT; SELECT");
    await lines.end();
    expect(table.sent).toEqual(["INSERT", "SELECT"]);
    await expect(lines.line("NOPE; INSERT;")).rejects.toThrow(new CallError("cannot run NOPE"));
    expect(table.sent).toEqual(["INSERT", "SELECT", "NOPE"]);
    await expect(new SqlLines(table, io, true).line("DOWN;")).rejects.toThrow("cannot reach the server");
  });
});

/** The table the shell's target names. */
const TARGET = { server: "http://127.0.0.1:8080", app: "sqlkv", table: "kv" };

/**
 * A fake table that keeps a session's transaction as the real one does: BEGIN opens it (twice is
 * a `session` refusal), a statement starting with FAIL fails and aborts it, statements in an
 * aborted one are refused, COMMIT of an aborted one is refused and ends it, ROLLBACK ends it.
 * With `down` set, every call fails on the way.
 */
function transactionalTable() {
  const sent: { sql: string; alone: boolean }[] = [];
  let txn: "none" | "open" | "aborted" = "none";
  const table = {
    id: "s-1",
    sent,
    down: false,
    async run(sql: string, options: { alone?: boolean } = {}): Promise<SqlReply> {
      sent.push({ sql, alone: options.alone === true });
      if (table.down) throw new CallError("cannot reach the server at http://127.0.0.1:8080 (ECONNREFUSED, 7 tries)");
      if (options.alone === true) return sql === "SELECT * FROM kv LIMIT 0" ? { columns: ["k", "v"], rows: [] } : { error: `unknown table in ${sql}`, code: "unknown" };
      const word = sql.split(" ")[0];
      if (word === "BEGIN" || word === "START") {
        if (txn !== "none") return { error: "a transaction is already open in this session; COMMIT or ROLLBACK it first", code: "session" };
        txn = "open";
        return { affected: 0 };
      }
      if (word === "COMMIT" || word === "ROLLBACK") {
        const was = txn;
        txn = "none";
        return was === "aborted" && word === "COMMIT" ? { error: "the transaction was aborted (x); none of its writes were applied", code: "aborted" } : { affected: 0 };
      }
      if (txn === "aborted") return { error: "the transaction of this session is aborted (x); end it with ROLLBACK or COMMIT", code: "aborted" };
      if (word === "FAIL") {
        if (txn === "open") txn = "aborted";
        return { error: "duplicate key 1", code: "constraint" };
      }
      if (word === "LOCKED") {
        if (txn === "open") txn = "aborted";
        return { error: 'key 2002 is locked by the transaction of session "other-1"', code: "conflict" };
      }
      return { affected: 1 };
    },
  };
  return table;
}

describe("the session's transaction", () => {
  test("the prompt follows it: sql*> in a transaction, sql!> in an aborted one, until COMMIT or ROLLBACK", async () => {
    const io = captured();
    const table = transactionalTable();
    const lines = new SqlLines(table, io, false, TARGET);
    const prompts: string[] = [];
    for (const line of ["BEGIN;", "UPDATE kv SET v = 7 WHERE k = 2002;", "BEGIN;", "FAIL;", "SELECT 1;", "COMMIT;", "START TRANSACTION;", "ROLLBACK;", "BEGIN;", "COMMIT;", "COMMIT;"]) {
      await lines.line(line);
      prompts.push(lines.prompt);
    }
    expect(prompts).toEqual(["sql*> ", "sql*> ", "sql*> ", "sql!> ", "sql!> ", "sql> ", "sql*> ", "sql> ", "sql*> ", "sql> ", "sql> "]);
    expect(lines.transaction).toBe("none");
    await lines.line("BEGIN; UPDATE kv");
    expect(lines.prompt).toBe("...> ");
    lines.clear();
    expect(lines.prompt).toBe("sql*> ");
  });

  test("leaving with a transaction open sends ROLLBACK in the session and says so; leaving without one sends nothing", async () => {
    const io = captured();
    const table = transactionalTable();
    const lines = new SqlLines(table, io, false, TARGET);
    await lines.leave();
    expect(table.sent).toEqual([]);
    await lines.line("BEGIN;");
    await lines.line("UPDATE kv SET v = 7 WHERE k = 2002;");
    await lines.leave();
    expect(lines.transaction).toBe("none");
    await lines.leave();
    expect(table.sent.map((s) => s.sql)).toEqual(["BEGIN", "UPDATE kv SET v = 7 WHERE k = 2002", "ROLLBACK"]);
    expect(io.stderr).toBe("ROLLBACK (the open transaction was rolled back on exit)\n");

    const aborted = captured();
    const again = new SqlLines(transactionalTable(), aborted, false, TARGET);
    await again.line("BEGIN;");
    await again.line("FAIL;");
    await again.leave();
    expect(aborted.stderr).toBe("ERROR: duplicate key 1\nROLLBACK (the aborted transaction was ended on exit)\n");
  });

  test("\\q inside an unfinished statement or quote quits; a script's end or failure rolls back too", async () => {
    const io = captured();
    const table = transactionalTable();
    const lines = new SqlLines(table, io, false, TARGET);
    await lines.line("BEGIN;");
    await lines.line("UPDATE kv SET v = 'it");
    expect(lines.prompt).toBe("sql'> ");
    expect(await lines.line("\\q")).toBe("quit");
    await lines.leave();
    expect(table.sent.map((s) => s.sql)).toEqual(["BEGIN", "ROLLBACK"]);

    // A script that ends inside a transaction: rolled back with a warning.
    const script = captured();
    const scripted = transactionalTable();
    const run = new SqlLines(scripted, script, true, TARGET);
    await run.line("BEGIN;");
    await run.line("UPDATE kv SET v = 7 WHERE k = 2002");
    await run.end();
    await run.leave();
    expect(scripted.sent.map((s) => s.sql)).toEqual(["BEGIN", "UPDATE kv SET v = 7 WHERE k = 2002", "ROLLBACK"]);
    expect(script.stderr).toBe("portals: warning: the statements ended inside a transaction (BEGIN without COMMIT): it was rolled back\n");

    // A script stopped by a failure: rolled back quietly (the failure says why it stopped).
    const failing = captured();
    const failed = transactionalTable();
    const stopped = new SqlLines(failed, failing, true, TARGET);
    await stopped.line("BEGIN; UPDATE kv SET v = 7 WHERE k = 2002;");
    await expect(stopped.line("\\x")).rejects.toThrow(new CallError("invalid command \\x: the commands are \\d, \\timing [on|off], \\q and \\?"));
    await stopped.leave(true);
    expect(failed.sent.map((s) => s.sql)).toEqual(["BEGIN", "UPDATE kv SET v = 7 WHERE k = 2002", "ROLLBACK"]);
    expect(failing.stderr).toBe("");
  });

  test("a ROLLBACK that cannot be sent is a warning with the command that ends the transaction later", async () => {
    const io = captured();
    const table = transactionalTable();
    const lines = new SqlLines(table, io, false, TARGET);
    await lines.line("BEGIN;");
    table.down = true;
    await lines.leave();
    expect(io.stderr).toBe(
      "portals: warning: the transaction of session s-1 was not rolled back (cannot reach the server at http://127.0.0.1:8080 (ECONNREFUSED, 7 tries)); its keys stay locked until it is: " +
        `curl -H "Authorization: Bearer $PORTALS_TOKEN" -H 'content-type: application/json' -d '{"sql":"ROLLBACK","session":"s-1"}' http://127.0.0.1:8080/v1/sql/sqlkv/kv\n`,
    );
    expect(lines.transaction).toBe("open");
  });

  test("a conflict with another session's transaction names the command that ends it", async () => {
    const io = captured();
    const lines = new SqlLines(transactionalTable(), io, false, TARGET);
    await lines.line("BEGIN;");
    await lines.line("LOCKED;");
    expect(lines.prompt).toBe("sql!> ");
    expect(io.stderr).toBe(
      'ERROR: key 2002 is locked by the transaction of session "other-1"\n' +
        `HINT: if session "other-1" was abandoned with its transaction open, end that transaction: curl -H "Authorization: Bearer $PORTALS_TOKEN" -H 'content-type: application/json' -d '{"sql":"ROLLBACK","session":"other-1"}' http://127.0.0.1:8080/v1/sql/sqlkv/kv\n`,
    );
    await expect(new SqlLines(transactionalTable(), io, true, TARGET).line("LOCKED;")).rejects.toThrow(
      new CallError(
        `key 2002 is locked by the transaction of session "other-1"; if session "other-1" was abandoned with its transaction open, end that transaction: curl -H "Authorization: Bearer $PORTALS_TOKEN" -H 'content-type: application/json' -d '{"sql":"ROLLBACK","session":"other-1"}' http://127.0.0.1:8080/v1/sql/sqlkv/kv`,
      ),
    );
  });
});

describe("commands in scripts", () => {
  test("an unknown command fails a script, naming it and the commands", async () => {
    const io = captured();
    const table = transactionalTable();
    const lines = new SqlLines(table, io, true, TARGET);
    await expect(lines.line("\\x")).rejects.toThrow(new CallError("invalid command \\x: the commands are \\d, \\timing [on|off], \\q and \\?"));
    await expect(lines.line("\\timing maybe")).rejects.toThrow(new CallError("invalid command \\timing maybe: the commands are \\d, \\timing [on|off], \\q and \\?"));
    expect(table.sent).toEqual([]);
  });

  test("\\d prints the table's columns from SELECT * … LIMIT 0, run outside the session", async () => {
    const io = captured();
    const table = transactionalTable();
    const lines = new SqlLines(table, io, true, TARGET);
    await lines.line("BEGIN; FAIL;").catch(() => {});
    await lines.line("\\d");
    await lines.line("\\d KV");
    expect(io.stdout).toBe('BEGIN\nTable "kv"\n column\n--------\n k\n v\n(2 rows)\nTable "kv"\n column\n--------\n k\n v\n(2 rows)\n');
    expect(table.sent).toEqual([
      { sql: "BEGIN", alone: false },
      { sql: "FAIL", alone: false },
      { sql: "SELECT * FROM kv LIMIT 0", alone: true },
      { sql: "SELECT * FROM kv LIMIT 0", alone: true },
    ]);
    await expect(lines.line("\\d other")).rejects.toThrow(new CallError("invalid command \\d other: the commands are \\d, \\timing [on|off], \\q and \\?"));
    const odd = new SqlLines(transactionalTable(), captured(), true, { ...TARGET, table: "my-kv" });
    await expect(odd.line("\\d")).rejects.toThrow(new CallError('unknown table in SELECT * FROM "my-kv" LIMIT 0'));
  });
});

describe("the session", () => {
  const address = { server: "http://127.0.0.1:1", token: "a-token-of-sixteen-chars" };
  const noWait = { retries: 3, firstDelayMs: 100, sleep: async (ms: number) => void waits.push(ms) };
  let waits: number[] = [];
  const refused = () => Promise.reject(Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } }));
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

  test("numbers statements from 0 in one session, and sends a failed call again with the same session and seq", async () => {
    waits = [];
    const calls: { url: string; body: { sql: string; session: string; seq: number }; auth: string | undefined }[] = [];
    let failures = 2;
    const fetchFn = (async (url: string, init: RequestInit) => {
      calls.push({ url, body: JSON.parse(init.body as string), auth: (init.headers as Record<string, string>)["authorization"] });
      if (failures-- > 0) return refused();
      return json(200, { affected: 1 });
    }) as typeof fetch;
    const session = new SqlSession(address, { app: "sqlkv", table: "kv" }, noWait, fetchFn);
    expect(await session.run("INSERT INTO kv VALUES (1, 10)")).toEqual({ affected: 1 });
    expect(await session.run("SELECT * FROM kv")).toEqual({ affected: 1 });
    expect(calls.map((c) => [c.url, c.body.sql, c.body.seq, c.body.session])).toEqual([
      ["http://127.0.0.1:1/v1/sql/sqlkv/kv", "INSERT INTO kv VALUES (1, 10)", 0, session.id],
      ["http://127.0.0.1:1/v1/sql/sqlkv/kv", "INSERT INTO kv VALUES (1, 10)", 0, session.id],
      ["http://127.0.0.1:1/v1/sql/sqlkv/kv", "INSERT INTO kv VALUES (1, 10)", 0, session.id],
      ["http://127.0.0.1:1/v1/sql/sqlkv/kv", "SELECT * FROM kv", 1, session.id],
    ]);
    expect(calls[0]!.auth).toBe("Bearer a-token-of-sixteen-chars");
    expect(waits).toEqual([100, 200]);
  });

  test("a 503 is retried; after the last retry the failure is a CallError; a lost statement's seq is not reused", async () => {
    waits = [];
    const seqs: number[] = [];
    let answers = [json(503, { error: "the system is closed" }), json(200, { columns: [], rows: [] })];
    const fetchFn = (async (_url: string, init: RequestInit) => {
      seqs.push(JSON.parse(init.body as string).seq);
      return answers.shift() ?? refused();
    }) as typeof fetch;
    const session = new SqlSession(address, { app: "a", table: "t" }, noWait, fetchFn);
    expect(await session.run("SELECT 1")).toEqual({ columns: [], rows: [] });
    await expect(session.run("SELECT 2")).rejects.toThrow(new CallError("cannot reach the server at http://127.0.0.1:1 (ECONNREFUSED, 4 tries); start one with portals serve, or name it with --server or PORTALS_SERVER"));
    answers = [json(200, { affected: 0 })];
    await session.run("BEGIN");
    expect(seqs).toEqual([0, 0, 1, 1, 1, 1, 2]);
    expect(waits).toEqual([100, 100, 200, 400]);
  });

  test("failed statements are answers; other refusals are CallErrors with the server's message", async () => {
    let next: Response = json(400, { error: "syntax error at 1:1", code: "syntax" });
    const session = new SqlSession(address, { app: "a", table: "t" }, noWait, (async () => next) as unknown as typeof fetch);
    expect(await session.run("SELEC")).toEqual({ error: "syntax error at 1:1", code: "syntax" });
    next = json(409, { error: "duplicate key 1", code: "constraint" });
    expect(await session.run("INSERT")).toEqual({ error: "duplicate key 1", code: "constraint" });
    next = json(401, { error: "send Authorization" });
    await expect(session.run("SELECT 1")).rejects.toThrow(new CallError("POST /v1/sql/a/t: 401 send Authorization; give the token with --token or PORTALS_TOKEN"));
    next = json(422, { error: "portal /a/portals/t is not an SQL table's query portal" });
    await expect(session.run("SELECT 1")).rejects.toThrow("POST /v1/sql/a/t: 422 portal /a/portals/t is not an SQL table's query portal");
    next = new Response("<html>", { status: 502 });
    await expect(new SqlSession(address, { app: "a", table: "t" }, { ...noWait, retries: 0 }, (async () => next) as unknown as typeof fetch).run("SELECT 1")).rejects.toThrow(
      "answered 502 with something that is not JSON: <html>",
    );
  });
});

describe("arguments and the history", () => {
  const dir = mkdtempSync(join(tmpdir(), "portals-sql-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("--table is /<app>/portals/<table>, required unless PORTALS_SQL_TABLE is set", async () => {
    expect(sqlTableRef("/sqlkv/portals/kv", "--table")).toEqual({ app: "sqlkv", table: "kv" });
    expect(sqlTableRef("sqlkv/portals/kv", "--table")).toEqual({ app: "sqlkv", table: "kv" });
    for (const bad of ["sqlkv/kv", "/sqlkv/workflows/kv", "/a/portals/kv/x", ""]) {
      expect(() => sqlTableRef(bad, "--table")).toThrow(new UsageError(`--table ${JSON.stringify(bad)}: give the table's query portal as /<app>/portals/<table>, e.g. /shop/portals/kv`));
    }
    const io = captured();
    await expect(sqlCommand({ execute: "SELECT 1" }, io, {})).rejects.toThrow(
      new UsageError("name the table with --table /<app>/portals/<table> (its query portal, e.g. /shop/portals/kv), or set PORTALS_SQL_TABLE"),
    );
    await expect(sqlCommand({ execute: "SELECT 1" }, io, { PORTALS_SQL_TABLE: "kv" })).rejects.toThrow('PORTALS_SQL_TABLE "kv": give the table');
  });

  test("the history keeps the newest 500 lines, newest last in the file, for this user only", () => {
    const file = join(dir, "history");
    expect(readHistory(file)).toEqual([]);
    const lines = Array.from({ length: 600 }, (_, i) => `SELECT ${i};`);
    // readline keeps the newest first.
    writeHistory(file, [...lines].reverse());
    const text = readFileSync(file, "utf8").split("\n");
    expect(text[0]).toBe("SELECT 100;");
    expect(text[499]).toBe("SELECT 599;");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readHistory(file)).toEqual(lines.slice(100).reverse());
  });
});
