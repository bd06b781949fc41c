/**
 * Sessions and transactions of a table (docs/sql.md, "Transactions"): strict two-phase locking
 * on keys without waiting, writes buffered and visible to their own transaction, applied at
 * COMMIT all together, every lock released by COMMIT, ROLLBACK and abort; statements of a
 * session in order even when they arrive in one atom; a retried statement answered once.
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { SqlReply, SqlRequest } from "portals-ts/sql";
import { codeOf, startTable, type TableHarness } from "../../support/sql.js";

let t: TableHarness;
beforeEach(async () => {
  t = startTable();
  expect(await t.sql("INSERT INTO kv (k, v) VALUES (1, 10), (2, 20), (3, 30)")).toEqual({ affected: 3 });
});
afterEach(() => t.close());

const OK = { affected: 0 };
const s = (session: string) => (sql: string, seq?: number) => t.sql(sql, seq === undefined ? { session } : { session, seq });

describe("transactions", () => {
  test("writes are visible to their own transaction only, and to everyone after COMMIT", async () => {
    const a = s("a");
    expect(await a("BEGIN")).toEqual(OK);
    expect(await a("UPDATE kv SET v = 11 WHERE k = 1")).toEqual({ affected: 1 });
    expect(await a("INSERT INTO kv (k, v) VALUES (4, 40)")).toEqual({ affected: 1 });
    expect(await a("DELETE FROM kv WHERE k = 3")).toEqual({ affected: 1 });
    expect(await t.rows("SELECT k, v FROM kv", { session: "a" })).toEqual([[1, 11], [2, 20], [4, 40]]);
    // No dirty read: another session and a statement without one see the committed rows.
    expect(await t.rows("SELECT k, v FROM kv")).toEqual([[1, 10], [2, 20], [3, 30]]);
    expect(await a("COMMIT")).toEqual(OK);
    expect(await t.rows("SELECT k, v FROM kv")).toEqual([[1, 11], [2, 20], [4, 40]]);
  });

  test("ROLLBACK discards the writes and frees every lock", async () => {
    const a = s("a");
    const b = s("b");
    await a("BEGIN");
    await a("UPDATE kv SET v = 0 WHERE k >= 1");
    await a("SELECT * FROM kv WHERE k = 9");
    expect(await a("ROLLBACK")).toEqual(OK);
    expect(await t.rows("SELECT k, v FROM kv")).toEqual([[1, 10], [2, 20], [3, 30]]);
    await b("BEGIN");
    expect(await b("UPDATE kv SET v = v + 1 WHERE k IN (1, 2, 3, 9)")).toEqual({ affected: 3 });
    expect(await b("INSERT INTO kv (k, v) VALUES (9, 90)")).toEqual({ affected: 1 });
    expect(await b("COMMIT")).toEqual(OK);
    expect(await t.rows("SELECT k, v FROM kv")).toEqual([[1, 11], [2, 21], [3, 31], [9, 90]]);
  });

  test("a key held by another transaction aborts at once; the abort frees the locks the failing statement took", async () => {
    const a = s("a");
    const b = s("b");
    await a("BEGIN");
    await a("UPDATE kv SET v = 12 WHERE k = 2");
    await b("BEGIN");
    expect(await b("SELECT * FROM kv WHERE k = 1")).toMatchObject({ rows: [[1, 10, null, null]] });
    // b asks 1 (its own), 2 (a's) and 3 (free) in one statement: refused on 2, and 1 and 3 are released.
    expect(await b("UPDATE kv SET v = 0 WHERE k IN (1, 2, 3)")).toEqual({ error: 'key 2 is locked by the transaction of session "a"', code: "conflict" });
    expect(await b("SELECT * FROM kv WHERE k = 1")).toEqual({ error: 'the transaction of this session is aborted (key 2 is locked by the transaction of session "a"); end it with ROLLBACK or COMMIT', code: "aborted" });
    expect(await b("COMMIT")).toEqual({ error: 'the transaction was aborted (key 2 is locked by the transaction of session "a"); none of its writes were applied', code: "aborted" });
    // a can take the keys b had: nothing of b is left.
    expect(await a("UPDATE kv SET v = v + 100 WHERE k IN (1, 3)")).toEqual({ affected: 2 });
    expect(await a("COMMIT")).toEqual(OK);
    expect(await t.rows("SELECT k, v FROM kv")).toEqual([[1, 110], [2, 12], [3, 130]]);
    // The session works again after its aborted transaction ended.
    expect(await b("SELECT v FROM kv WHERE k = 2")).toEqual({ columns: ["v"], rows: [[12]] });
  });

  test("a statement without a session may not write a key a transaction holds, and changes nothing then", async () => {
    const a = s("a");
    await a("BEGIN");
    await a("SELECT v FROM kv WHERE k = 2");
    expect(await t.sql("UPDATE kv SET v = 0 WHERE k IN (1, 2)")).toEqual({ error: 'key 2 is locked by the transaction of session "a"', code: "conflict" });
    expect(await t.rows("SELECT k, v FROM kv WHERE k < 3")).toEqual([[1, 10], [2, 20]]);
    await a("COMMIT");
    expect(await t.sql("UPDATE kv SET v = 0 WHERE k IN (1, 2)")).toEqual({ affected: 2 });
  });

  test("BEGIN twice, and BEGIN without a session, are refused; COMMIT and ROLLBACK without a transaction do nothing", async () => {
    const a = s("a");
    expect(await a("COMMIT")).toEqual(OK);
    expect(await a("ROLLBACK")).toEqual(OK);
    expect(await a("BEGIN")).toEqual(OK);
    expect(await a("BEGIN")).toEqual({ error: "a transaction is already open in this session; COMMIT or ROLLBACK it first", code: "session" });
    expect(await t.sql("BEGIN")).toEqual({ error: 'BEGIN needs a session: send "session" with every statement of the transaction', code: "session" });
    expect(await a("ROLLBACK")).toEqual(OK);
  });

  test("an error inside a transaction aborts it, as in PostgreSQL", async () => {
    const a = s("a");
    await a("BEGIN");
    await a("UPDATE kv SET v = 1 WHERE k = 1");
    expect(codeOf(await a("SELECT nope FROM kv"))).toBe("unknown");
    expect(codeOf(await a("COMMIT"))).toBe("aborted");
    expect(await t.rows("SELECT v FROM kv WHERE k = 1")).toEqual([[10]]);
  });
});

describe("sessions", () => {
  test("statements of one transaction sent in one atom run in order, COMMIT last", async () => {
    const session = "atom";
    const replies = await t.batch([
      { sql: "BEGIN", session },
      { sql: "INSERT INTO kv (k, v) VALUES (5, 50)", session },
      { sql: "UPDATE kv SET v = v + 1 WHERE k >= 2", session },
      { sql: "SELECT k, v FROM kv WHERE k > 1", session },
      { sql: "COMMIT", session },
      { sql: "SELECT count(*) FROM kv", session },
    ]);
    expect(replies).toEqual([OK, { affected: 1 }, { affected: 3 }, { columns: ["k", "v"], rows: [[2, 21], [3, 31], [5, 51]] }, OK, { columns: ["count"], rows: [[4]] }]);
  });

  test("a failed statement in one atom aborts the transaction, and the COMMIT behind it says so (the reference commits anyway)", async () => {
    const blocker = s("blocker");
    await blocker("BEGIN");
    await blocker("SELECT v FROM kv WHERE k = 3");
    const session = "atom";
    const replies = await t.batch([
      { sql: "BEGIN", session },
      { sql: "UPDATE kv SET v = 0 WHERE k = 1", session },
      { sql: "UPDATE kv SET v = 0 WHERE k = 3", session },
      { sql: "COMMIT", session },
    ]);
    expect(replies.map((r) => ("code" in r ? r.code : r))).toEqual([OK, { affected: 1 }, "conflict", "aborted"]);
    expect(await t.rows("SELECT k, v FROM kv WHERE k IN (1, 3)")).toEqual([[1, 10], [3, 30]]);
  });

  test("many sessions at once: transfers in one atom conserve the total, and every lock is released", async () => {
    const requests: SqlRequest[] = [];
    for (let i = 0; i < 12; i++) {
      const session = `c${i}`;
      const [from, to] = [1 + (i % 3), 1 + ((i + 1) % 3)];
      requests.push({ sql: "BEGIN", session }, { sql: `UPDATE kv SET v = v - 1 WHERE k = ${from}`, session }, { sql: `UPDATE kv SET v = v + 1 WHERE k = ${to}`, session }, { sql: "COMMIT", session });
    }
    const replies = await t.batch(requests);
    const ended = (i: number) => "affected" in replies[4 * i + 3]!;
    const committedFrom = (k: number) => [...Array(12).keys()].filter((i) => ended(i) && 1 + (i % 3) === k).length;
    const committedTo = (k: number) => [...Array(12).keys()].filter((i) => ended(i) && 1 + ((i + 1) % 3) === k).length;
    const commits = replies.filter((_, i) => i % 4 === 3);
    const committed = commits.filter((r) => "affected" in r).length;
    // No-wait locking in a cycle of three keys may abort them all; each ends one way or the other.
    expect(commits.filter((r) => "code" in r && r.code === "aborted").length).toBe(12 - committed);
    expect(await t.rows("SELECT v FROM kv")).toEqual([[10 - committedFrom(1) + committedTo(1)], [20 - committedFrom(2) + committedTo(2)], [30 - committedFrom(3) + committedTo(3)]]);
    expect(await t.rows("SELECT sum(v) FROM kv")).toEqual([[60]]);
    // Every lock is free: one statement can write all keys.
    expect(await t.sql("UPDATE kv SET v = 0 WHERE k >= 1")).toEqual({ affected: 3 });
  });

  test("a retry with the same session and seq gets the first answer and is not applied again", async () => {
    const a = s("a");
    expect(await a("UPDATE kv SET v = v + 1 WHERE k = 1", 0)).toEqual({ affected: 1 });
    expect(await a("UPDATE kv SET v = v + 1 WHERE k = 1", 0)).toEqual({ affected: 1 });
    expect(await a("SELECT v FROM kv WHERE k = 1", 1)).toEqual({ columns: ["v"], rows: [[11]] });
    // Retries in one atom with the first: answered alike, applied once.
    const replies = await t.batch([0, 1, 2].map(() => ({ sql: "UPDATE kv SET v = v * 2 WHERE k = 2", session: "b", seq: 7 })));
    expect(replies).toEqual([{ affected: 1 }, { affected: 1 }, { affected: 1 }]);
    expect(await t.rows("SELECT v FROM kv WHERE k = 2")).toEqual([[40]]);
    // Only the latest answers are kept; an older retry is refused, not run again.
    for (let seq = 2; seq < 70; seq++) await a("SELECT 1 FROM kv WHERE k = 0", seq);
    expect(await a("UPDATE kv SET v = v + 1 WHERE k = 1", 0)).toMatchObject({ code: "session" });
    expect(await t.rows("SELECT v FROM kv WHERE k = 1")).toEqual([[11]]);
  });
});

describe("isolation (docs/sql.md: serializable for keys, phantoms possible in ranges)", () => {
  test("no lost update: two transactions reading then writing one key, the second writer aborts", async () => {
    const [a, b] = [s("a"), s("b")];
    await a("BEGIN");
    await b("BEGIN");
    expect(await a("SELECT v FROM kv WHERE k = 1")).toMatchObject({ rows: [[10]] });
    expect(await b("SELECT v FROM kv WHERE k = 1")).toMatchObject({ rows: [[10]] });
    expect(await a("UPDATE kv SET v = 11 WHERE k = 1")).toMatchObject({ code: "conflict" });
    expect(await b("UPDATE kv SET v = 12 WHERE k = 1")).toEqual({ affected: 1 });
    expect(await b("COMMIT")).toEqual(OK);
    expect(codeOf(await a("COMMIT"))).toBe("aborted");
    expect(await t.rows("SELECT v FROM kv WHERE k = 1")).toEqual([[12]]);
  });

  test("no non-repeatable read: a key read in a transaction cannot change until it ends", async () => {
    const a = s("a");
    await a("BEGIN");
    expect(await a("SELECT v FROM kv WHERE k = 2")).toMatchObject({ rows: [[20]] });
    expect(await t.sql("UPDATE kv SET v = 0 WHERE k = 2")).toMatchObject({ code: "conflict" });
    expect(await a("SELECT v FROM kv WHERE k = 2")).toMatchObject({ rows: [[20]] });
    await a("COMMIT");
  });

  test("no dirty read, and no partial commit seen: a reader sees all of a transaction's writes or none", async () => {
    const a = s("a");
    await a("BEGIN");
    await a("UPDATE kv SET v = v - 5 WHERE k = 1");
    await a("UPDATE kv SET v = v + 5 WHERE k = 2");
    const [during, commit, after] = await t.batch([{ sql: "SELECT sum(v) FROM kv WHERE k IN (1, 2)" }, { sql: "COMMIT", session: "a" }, { sql: "SELECT k, v FROM kv WHERE k IN (1, 2)" }]);
    expect(during).toEqual({ columns: ["sum"], rows: [[30]] });
    expect(commit).toEqual(OK);
    expect((after as { rows: unknown }).rows).toEqual([[1, 5], [2, 25]]);
  });

  test("phantoms are possible: a range read twice in a transaction sees a row inserted in between", async () => {
    const a = s("a");
    await a("BEGIN");
    expect(await t.rows("SELECT k FROM kv WHERE k > 2", { session: "a" })).toEqual([[3]]);
    expect(await t.sql("INSERT INTO kv (k, v) VALUES (4, 40)")).toEqual({ affected: 1 });
    expect(await t.rows("SELECT k FROM kv WHERE k > 2", { session: "a" })).toEqual([[3], [4]]);
    await a("COMMIT");
  });
});

test("replies are the protocol's shapes", async () => {
  const reply: SqlReply = await t.sql("SELECT k FROM kv WHERE k = 1");
  expect(Object.keys(reply)).toEqual(["columns", "rows"]);
});

describe("random concurrent transactions (fast-check)", () => {
  test("every key ends at its start plus the increments of the committed transactions only: atomic, no lost update", async () => {
    const fc = (await import("fast-check")).default;
    const txn = fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(fc.array(txn, { minLength: 1, maxLength: 8 }), fc.boolean(), async (txns, rollbackSome) => {
        const requests: SqlRequest[] = [];
        txns.forEach((updates, i) => {
          const session = `p${i}`;
          requests.push({ sql: "BEGIN", session });
          for (const [k, d] of updates) requests.push({ sql: "UPDATE kv SET v = v + $1 WHERE k = $2", params: [d, k], session });
          requests.push({ sql: rollbackSome && i % 3 === 2 ? "ROLLBACK" : "COMMIT", session });
        });
        await t.sql("INSERT INTO kv (k, v) VALUES (4, 0) ON CONFLICT (k) DO UPDATE SET v = 0");
        await t.sql("UPDATE kv SET v = 0 WHERE k >= 1");
        const replies = await t.batch(requests);
        const expected = new Map([1, 2, 3, 4].map((k) => [k, 0]));
        let at = 0;
        txns.forEach((updates, i) => {
          const end = replies[at + updates.length + 1]!;
          const committed = "affected" in end && !(rollbackSome && i % 3 === 2);
          if (committed) for (const [k, d] of updates) expected.set(k, expected.get(k)! + d);
          at += updates.length + 2;
        });
        expect(await t.rows("SELECT k, v FROM kv")).toEqual([...expected]);
        // Nothing is left locked: one statement writes every key.
        expect(await t.sql("UPDATE kv SET v = v WHERE k >= 1")).toEqual({ affected: 4 });
      }),
      { numRuns: 40, seed: 3 },
    );
  });
});
