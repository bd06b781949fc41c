/**
 * The dialect of a table's query portal (docs/sql.md, "Dialect"): every form it runs, with the
 * rows it answers, and every form it refuses, with the message naming what and where. Each case
 * runs on the same seeded table, in order; after every refusal the next statement still works.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SqlReply } from "portals-ts/sql";
import { codeOf, startTable, type TableHarness } from "../../support/sql.js";

let t: TableHarness;
beforeAll(async () => {
  t = startTable();
  expect(await t.sql("INSERT INTO kv (k, v, name, ok) VALUES (1, 10, 'one', true), (2, 20, 'two', false), (3, 30, NULL, NULL), (5, 50, 'five', true), (8, 80, 'eight', false)")).toEqual({ affected: 5 });
});
afterAll(() => t.close());

const ALL = ["k", "v", "name", "ok"];
const rows = (columns: string[], ...r: unknown[][]): SqlReply => ({ columns, rows: r }) as SqlReply;

describe("SELECT", () => {
  test.each<[string, SqlReply]>([
    ["SELECT * FROM kv WHERE k = 2", rows(ALL, [2, 20, "two", false])],
    ["select V, k from KV where K = 5", rows(["v", "k"], [50, 5])],
    ["SELECT * FROM kv WHERE k = 4", rows(ALL)],
    ["SELECT k FROM kv WHERE k IN (8, 1, 4, 1)", rows(["k"], [1], [8])],
    ["SELECT k FROM kv WHERE k = 1 OR k = 3", rows(["k"], [1], [3])],
    // One value in parentheses is not parsed as a list (found by the comparison with SQLite).
    ["SELECT k FROM kv WHERE k IN (2)", rows(["k"], [2])],
    ["SELECT k FROM kv WHERE v NOT IN (10)", rows(["k"], [2], [3], [5], [8])],
    ["SELECT k FROM kv WHERE k BETWEEN 2 AND 5", rows(["k"], [2], [3], [5])],
    ["SELECT k FROM kv WHERE k NOT BETWEEN 2 AND 5", rows(["k"], [1], [8])],
    ["SELECT k FROM kv WHERE k > 2 AND k <= 8", rows(["k"], [3], [5], [8])],
    ["SELECT k FROM kv WHERE 3 < k", rows(["k"], [5], [8])],
    ["SELECT k FROM kv WHERE k < 3 OR k >= 8", rows(["k"], [1], [2], [8])],
    ["SELECT k, v FROM kv WHERE k IN (1, 2, 3) AND v > 15", rows(["k", "v"], [2, 20], [3, 30])],
    // The reference answers only key 5 here; every key must be considered.
    ["SELECT k FROM kv WHERE k = 5 OR v = 30", rows(["k"], [3], [5])],
    ["SELECT k FROM kv WHERE v >= 30", rows(["k"], [3], [5], [8])],
    ["SELECT k FROM kv WHERE name IS NULL", rows(["k"], [3])],
    ["SELECT k FROM kv WHERE ok", rows(["k"], [1], [5])],
    ["SELECT k FROM kv WHERE NOT ok", rows(["k"], [2], [8])],
    ["SELECT k FROM kv WHERE name LIKE '%e'", rows(["k"], [1], [5])],
    ["SELECT k FROM kv WHERE v <> 10 AND k < 3", rows(["k"], [2])],
    ["SELECT k, v * 2 + 1 AS w, name || '!' AS shout FROM kv WHERE k = 1", rows(["k", "w", "shout"], [1, 21, "one!"])],
    ["SELECT k, coalesce(name, '-') AS name FROM kv WHERE k IN (2, 3)", rows(["k", "name"], [2, "two"], [3, "-"])],
    ["SELECT k FROM kv ORDER BY k DESC", rows(["k"], [8], [5], [3], [2], [1])],
    ["SELECT k FROM kv ORDER BY k LIMIT 2", rows(["k"], [1], [2])],
    ["SELECT k FROM kv ORDER BY k DESC LIMIT 2 OFFSET 1", rows(["k"], [5], [3])],
    ["SELECT count(*), sum(v), min(v), max(name), avg(v) FROM kv", rows(["count", "sum", "min", "max", "avg"], [5, 190, 10, "two", 38])],
    ["SELECT count(name) AS named FROM kv WHERE k < 5", rows(["named"], [2])],
    ["SELECT count(*), sum(v) FROM kv WHERE k > 100", rows(["count", "sum"], [0, null])],
    ["SELECT * FROM kv WHERE k = 1;", rows(ALL, [1, 10, "one", true])],
  ])("%s", async (sql, expected) => {
    expect(await t.sql(sql)).toEqual(expected);
  });

  test("parameters: $n and ?, planned once per text", async () => {
    expect(await t.sql("SELECT v FROM kv WHERE k = $1", { params: [5] })).toEqual(rows(["v"], [50]));
    expect(await t.sql("SELECT v FROM kv WHERE k = $1", { params: [8] })).toEqual(rows(["v"], [80]));
    expect(await t.sql("SELECT k FROM kv WHERE k > ? AND name <> '?' AND v < ?", { params: [1, 40] })).toEqual(rows(["k"], [2]));
    expect(await t.sql("SELECT k FROM kv WHERE k = $2", { params: [1] })).toEqual({ error: "the statement uses $1 … $2 but 1 parameter was given", code: "unknown" });
    // Found by a fresh user's trial: extra parameters and a mix of ? and $n were taken silently.
    expect(await t.sql("SELECT k FROM kv WHERE k = $1", { params: [1, 2] })).toEqual({ error: "the statement uses $1 … $1 but 2 parameters were given", code: "unknown" });
    expect(await t.sql("SELECT k FROM kv WHERE k = ? AND v = $1", { params: [1] })).toEqual({ error: "the statement mixes ? and $n parameters (at 1:38); use one kind", code: "syntax" });
    expect(await t.sql("SELECT 'a ? b' AS s FROM kv WHERE k = ?", { params: [1] })).toEqual(rows(["s"], ["a ? b"]));
  });
});

describe("writes", () => {
  test("INSERT of an existing key is refused; ON CONFLICT updates or does nothing", async () => {
    expect(await t.sql("INSERT INTO kv (k, v) VALUES (1, 99)")).toEqual({ error: "duplicate key: kv has a row with k = 1; use INSERT … ON CONFLICT (k) DO UPDATE SET … or DO NOTHING", code: "constraint" });
    expect(await t.sql("INSERT INTO kv (k, v) VALUES (1, 11), (9, 90) ON CONFLICT (k) DO UPDATE SET v = excluded.v")).toEqual({ affected: 2 });
    expect(await t.sql("INSERT INTO kv (k, v) VALUES (1, 12), (10, 100) ON CONFLICT DO NOTHING")).toEqual({ affected: 1 });
    expect(await t.rows("SELECT k, v FROM kv WHERE k IN (1, 9, 10)")).toEqual([[1, 11], [9, 90], [10, 100]]);
    // A multi-row INSERT is atomic: the duplicate fails it and the new key 11 is not written.
    expect(codeOf(await t.sql("INSERT INTO kv (k, v) VALUES (11, 110), (2, 0)"))).toBe("constraint");
    expect(await t.rows("SELECT k FROM kv WHERE k = 11")).toEqual([]);
  });

  test("UPDATE and DELETE by key, by range and by filter answer the rows they changed", async () => {
    expect(await t.sql("UPDATE kv SET v = v + 1, name = 'x' WHERE k = 9")).toEqual({ affected: 1 });
    expect(await t.sql("UPDATE kv SET v = 0 WHERE k = 404")).toEqual({ affected: 0 });
    expect(await t.sql("UPDATE kv SET v = v * 10 WHERE k >= 9")).toEqual({ affected: 2 });
    expect(await t.rows("SELECT k, v, name FROM kv WHERE k >= 9")).toEqual([[9, 910, "x"], [10, 1000, null]]);
    expect(await t.sql("UPDATE kv SET ok = true WHERE ok = false")).toEqual({ affected: 2 });
    expect(await t.sql("DELETE FROM kv WHERE k BETWEEN 9 AND 10")).toEqual({ affected: 2 });
    expect(await t.sql("DELETE FROM kv WHERE k = 9")).toEqual({ affected: 0 });
    expect(await t.rows("SELECT count(*) FROM kv")).toEqual([[5]]);
  });

  test("values are checked against the column types", async () => {
    expect(await t.sql("INSERT INTO kv (k, v) VALUES (20, 'x')")).toEqual({ error: 'column v of kv is integer; "x" is text', code: "type" });
    expect(await t.sql("INSERT INTO kv (k, v) VALUES (20, 1.5)")).toEqual({ error: "column v of kv is integer; 1.5 is a real", code: "type" });
    expect(await t.sql("INSERT INTO kv (v) VALUES (1)")).toEqual({ error: "INSERT at 1:1 gives no primary key: name the column k", code: "constraint" });
    expect(await t.sql("INSERT INTO kv (k, v) VALUES (NULL, 1)")).toEqual({ error: "the primary key k of kv cannot be NULL", code: "constraint" });
    expect(await t.sql("UPDATE kv SET name = 3 WHERE k = 1")).toEqual({ error: "column name of kv is text; 3 is an integer", code: "type" });
    expect(await t.sql("SELECT * FROM kv WHERE k = 'one'")).toEqual({ error: "the primary key k is integer; it is compared with text", code: "type" });
    expect(await t.rows("SELECT count(*) FROM kv WHERE k = 20")).toEqual([[0]]);
  });
});

describe("numbers, as PostgreSQL computes them (found by a fresh user's trial)", () => {
  test.each<[string, SqlReply]>([
    // A real divides as a real even when it holds a whole number; integers divide as integers.
    ["SELECT 10 / 4.0 AS a, 10.0 / 4 AS b, 1.0 * 5 / 2 AS c, 7 / 2 AS d, -7 / 2 AS e FROM kv WHERE k = 1", rows(["a", "b", "c", "d", "e"], [2.5, 2.5, 2.5, 3, -3])],
    ["SELECT v / 4 AS i, v / 4.0 AS r FROM kv WHERE k = 2", rows(["i", "r"], [5, 5])],
    ["SELECT 9007199254740991 AS max FROM kv WHERE k = 1", rows(["max"], [9007199254740991])],
    ["SELECT length('héllo😀') AS n FROM kv WHERE k = 1", rows(["n"], [6])],
  ])("%s", async (sql, expected) => {
    expect(await t.sql(sql)).toEqual(expected);
  });

  test("integers beyond 2^53 − 1, scientific notation and oversized statements are refused, not answered wrongly", async () => {
    const range = "beyond ±9007199254740991 (2^53−1), the integers kept exactly";
    expect(await t.sql("SELECT 9007199254740993 FROM kv WHERE k = 1")).toEqual({ error: `integer out of range at 1:8: 9007199254740992 is ${range}; use a real or text for larger numbers`, code: "type" });
    expect(await t.sql("SELECT 9007199254740991 * 3 FROM kv WHERE k = 1")).toEqual({ error: `integer out of range at 1:8: 27021597764222972 is ${range}; use a real or text for larger numbers`, code: "type" });
    expect(await t.sql("INSERT INTO kv (k, v) VALUES (30, $1)", { params: [2 ** 60] })).toEqual({ error: `column v of kv is integer; ${2 ** 60} is an integer ${range}`, code: "type" });
    expect(await t.sql("SELECT 1e3 FROM kv WHERE k = 1")).toEqual({ error: "the number 1e3 at 1:8 is in scientific notation, which this table does not read; write it out (1000) or pass it as a parameter", code: "unsupported" });
    expect(codeOf(await t.sql("SELECT 1.5e-1 FROM kv"))).toBe("unsupported");
    const long = `SELECT count(*) FROM kv WHERE k IN (${Array.from({ length: 3000 }, (_, i) => i).join(", ")})`;
    expect(await t.sql(long)).toEqual({
      error: `the statement has ${long.length.toLocaleString("en-US")} characters, more than the 8,192 a table parses: split it into several statements (a long IN list into several queries, many VALUES rows into several INSERTs)`,
      code: "syntax",
    });
    expect(await t.rows("SELECT count(*) FROM kv WHERE k IN (1, 2)")).toEqual([[2]]);
  });

  test("SUM beyond the integers kept exactly, and SUM of text, name the aggregate's place", async () => {
    expect(await t.sql("SELECT sum(name) FROM kv")).toEqual({ error: 'SUM at 1:8 needs numbers; a value is text', code: "type" });
    expect(await t.sql("SELECT sum(v) + 1 FROM kv")).toEqual({
      error: "aggregate SUM at 1:8 must be a whole entry of the select list (SUM(…) AS name), not part of an expression or a condition",
      code: "unsupported",
    });
  });

  test("INSERT without a column list fills the first columns and leaves the rest NULL", async () => {
    expect(await t.sql("INSERT INTO kv VALUES (40, 4)")).toEqual({ affected: 1 });
    expect(await t.rows("SELECT * FROM kv WHERE k = 40")).toEqual([[40, 4, null, null]]);
    expect(await t.sql("INSERT INTO kv VALUES (41, 4, 'x', true, 1)")).toEqual({ error: "INSERT at 1:1 has 5 values for the 4 columns of kv", code: "syntax" });
    expect(await t.sql("DELETE FROM kv WHERE k = 40")).toEqual({ affected: 1 });
  });
});

describe("refused, each naming what and where, and the next statement works", () => {
  test.each<[string, string, string]>([
    ["SELECT * FROM kv JOIN other ON kv.k = other.k", "unsupported", "JOIN at 1:18 is not supported: a query reads one table"],
    ["SELECT * FROM kv, other", "unsupported", "a second table at 1:19 (a join) is not supported: a query reads one table"],
    ["SELECT * FROM other WHERE k = 1", "unknown", "unknown table other at 1:15: this portal serves table kv"],
    ["SELECT nope FROM kv", "unknown", "unknown column nope at 1:8: kv has k, v, name, ok"],
    ["SELECT * FROM kv WHERE k IN (SELECT k FROM kv)", "unsupported", "IN at 1:24 takes a list of values, e.g. k IN (1, 2, 3); subqueries are not supported"],
    ["SELECT v, count(*) FROM kv", "unsupported", "column at 1:8 next to an aggregate: without GROUP BY (not supported) the select list is all aggregates or none"],
    ["SELECT count(*) FROM kv GROUP BY v", "unsupported", "GROUP BY at 1:34 is not supported"],
    ["SELECT * FROM kv ORDER BY v", "unsupported", "ORDER BY at 1:27: results can be ordered by the primary key k only"],
    ["SELECT 1", "unsupported", "SELECT without FROM at 1:1: name the table, e.g. SELECT * FROM kv"],
    ["UPDATE kv SET k = 2 WHERE k = 1", "unsupported", "SET k at 1:15: the primary key cannot be updated; DELETE the row and INSERT it under the new key"],
    ["CREATE TABLE t (a int)", "unsupported", "CREATE TABLE at 1:1 is not supported: a table runs SELECT, INSERT, UPDATE, DELETE, BEGIN, COMMIT and ROLLBACK"],
    ["INSERT INTO kv SELECT * FROM kv", "unsupported", "INSERT … a subquery at 1:16 is not supported: use INSERT … VALUES (…), (…)"],
    ["SELECT * FROM kv WHERE k = 1; SELECT 2", "syntax", "one statement per request: a second one starts at 1:31; send it in its own request"],
    ["SELECT * FROM kv WHERE", "syntax", "syntax error at 1:23: the statement ends early"],
    ["SELECT upper(name) FROM kv WHERE k = 1", "", ""],
    ["SELECT sqrt(v) FROM kv", "unsupported", "function sqrt at 1:8 is not supported; functions are coalesce, abs, lower, upper, length and, in the select list, count, sum, min, max, avg"],
    ["SELECT * FROM kv WHERE v + 'a' > 1", "type", "the operand at 1:24 is text; a number is needed"],
  ])("%s", async (sql, code, error) => {
    const reply = await t.sql(sql);
    if (code === "") expect(reply).toEqual(rows(["upper"], ["ONE"]));
    else expect(reply).toEqual({ error, code });
    expect(await t.rows("SELECT k FROM kv WHERE k = 1")).toEqual([[1]]);
  });

  test("a request that is not a statement is answered, not crashed on", async () => {
    for (const [request, error] of [
      [{ sql: "" }, '"sql" must be a non-empty string with one statement'],
      [{ sql: "SELECT 1", seq: 1 }, '"seq" numbers the statements of a session: send "session" with it'],
      [{ sql: "SELECT 1", params: [{}] }, '"params"[0] must be a number, a string, a boolean or null'],
      ["SELECT 1", 'the request must be an object { "sql": "...", "session"?: "...", "seq"?: n, "params"?: [...] }'],
    ] as const) {
      expect(await t.system.ask("/t/portals/kv", request)).toEqual({ error, code: "syntax" });
    }
  });
});
