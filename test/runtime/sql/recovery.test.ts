/**
 * A table is application state like any other (docs/sql.md, "Recovery"): a crash at any step,
 * restored from the newest snapshot, commits exactly the answers and rows of a run without it;
 * and a client that retries its statements with the same session and seq sees each applied once.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { DirectoryStore, PortalsApp, Sinks, Systems, type Application, type MemorySink } from "portals-ts";
import { sqlTable, type SqlReply, type SqlRequest } from "portals-ts/sql";

/** Atoms of statements from several sessions: upserts, transfers in transactions, reads, a range update. */
function workload(): SqlRequest[][] {
  const atoms: SqlRequest[][] = [[{ sql: "INSERT INTO kv (k, v) VALUES (1, 100), (2, 100), (3, 100), (4, 100)" }]];
  for (let round = 0; round < 6; round++) {
    const atom: SqlRequest[] = [];
    for (let c = 0; c < 3; c++) {
      const session = `c${c}`;
      const seq = round * 10;
      const [from, to] = [1 + ((round + c) % 4), 1 + ((round + 2 * c + 1) % 4)];
      atom.push(
        { sql: "BEGIN", session, seq },
        { sql: "UPDATE kv SET v = v - $1 WHERE k = $2", params: [c + 1, from], session, seq: seq + 1 },
        { sql: "UPDATE kv SET v = v + $1 WHERE k = $2", params: [c + 1, to], session, seq: seq + 2 },
        { sql: "COMMIT", session, seq: seq + 3 },
      );
    }
    atom.push({ sql: `INSERT INTO kv (k, v) VALUES (${10 + round}, ${round}) ON CONFLICT (k) DO UPDATE SET v = kv.v + 1` }, { sql: "SELECT k, v FROM kv WHERE k BETWEEN 1 AND 4" });
    if (round === 3) atom.push({ sql: "UPDATE kv SET v = v + 1000 WHERE k >= 10" });
    atoms.push(atom);
  }
  atoms.push([{ sql: "SELECT count(*), sum(v) FROM kv" }, { sql: "SELECT * FROM kv" }]);
  return atoms;
}

function app(sink: MemorySink<string>): Application {
  return PortalsApp("bank", (app) => {
    const table = sqlTable(app, "kv", { columns: { k: "integer", v: "integer" }, primaryKey: "k" });
    app
      .workflows<SqlRequest[], string>("client")
      .source(app.generators.fromArrayOfArrays(workload().map((atom) => [atom])).stream)
      .asker<string>(table.query, async (atom, ctx) => {
        const replies: SqlReply[] = await Promise.all(atom.map((r) => table.query.request(r)));
        replies.forEach((reply, i) => ctx.emit(`${atom[i]!.sql} ${JSON.stringify(atom[i]!.params ?? [])} => ${JSON.stringify(reply)}`));
      })
      .sink(sink)
      .freeze();
  });
}

test("a crash at any step, restored from the newest snapshot, commits exactly the answers of a run without it", () => {
  const reference = Sinks.memory<string>();
  const whole = Systems.test({ seed: 3, log: () => {} });
  whole.launch(app(reference));
  const steps = whole.stepUntilComplete(100_000);
  const expected = reference.committed;
  // 4 keys of 100 (transfers move money, never make it), 0..5 under keys 10..15, +1000 on 10..13.
  expect(expected.at(-2)).toBe('SELECT count(*), sum(v) FROM kv [] => {"columns":["count","sum"],"rows":[[10,4415]]}');
  expect(expected.filter((line) => line.includes('"code":"aborted"')).length).toBeGreaterThan(0);

  expect(steps).toBeGreaterThan(40);
  for (let crash = 2; crash < steps; crash += Math.ceil(steps / 25)) {
    const dir = mkdtempSync(join(tmpdir(), "portals-sql-crash-"));
    const sink = Sinks.memory<string>();
    const first = Systems.test({ seed: 3, log: () => {}, snapshots: { store: new DirectoryStore(dir), every: 3 } });
    first.launch(app(sink));
    first.stepUntilComplete(crash);
    const second = Systems.test({ seed: 3, log: () => {}, snapshots: { store: new DirectoryStore(dir), every: 3 } });
    const restarted = app(sink);
    if (second.restoreLatest([restarted]) === undefined) second.launch(restarted);
    second.stepUntilComplete(100_000);
    expect(sink.committed, `crash after ${crash} steps`).toEqual(expected);
  }
});
