/**
 * The SQL demo (examples/sql-kv, docs/sql.md): every answer of the generated workload equals
 * what a plain Map computes from the same statements in order (the oracle), for several seeds.
 */
import { expect, test } from "vitest";
import app, { describeQuery } from "../../examples/sql-kv/app.js";
import { generateQueries, generateTransactions, WORKLOAD } from "../../examples/sql-kv/workload.js";
import type { SqlReply, SqlRequest } from "portals-ts/sql";
import { runExample } from "./run-example.js";

/** The answers a table would give to `atoms`, statement by statement, computed with a Map. */
function oracle(atoms: readonly (readonly SqlRequest[])[]): string[] {
  const kv = new Map<number, number>();
  const row = (k: number) => (kv.has(k) ? [[k, kv.get(k)!]] : []);
  const lines: string[] = [];
  for (const atom of atoms) {
    const replies: SqlReply[] = [];
    for (const r of atom) {
      const p = (r.params ?? []) as number[];
      if (r.sql.startsWith("INSERT")) {
        kv.set(p[0]!, p[1]!);
        replies.push({ affected: 1 });
      } else if (r.sql === "SELECT * FROM kv WHERE k = $1") {
        replies.push({ columns: ["k", "v"], rows: row(p[0]!) });
      } else if (r.sql.startsWith("SELECT * FROM kv WHERE v >= $1 AND k IN")) {
        const keys = [...new Set(r.sql.slice(r.sql.indexOf("(") + 1, -1).split(", ").map(Number))].sort((a, b) => a - b);
        replies.push({ columns: ["k", "v"], rows: keys.flatMap(row).filter(([, v]) => v! >= p[0]!) });
      } else if (r.sql === "BEGIN" || r.sql === "COMMIT") {
        replies.push({ affected: 0 });
      } else if (r.sql.startsWith("UPDATE")) {
        const [, delta, k] = /v = v ([-+] 1) WHERE k = (\d+)/.exec(r.sql)!;
        const key = Number(k);
        if (kv.has(key)) kv.set(key, kv.get(key)! + Number(delta!.replace(" ", "")));
        replies.push({ affected: kv.has(key) ? 1 : 0 });
      } else {
        const key = Number(/k = (\d+)/.exec(r.sql)![1]);
        replies.push({ columns: ["k", "v"], rows: row(key) });
      }
    }
    atom.forEach((r, i) => lines.push(describeQuery(r, replies[i]!)));
  }
  return lines;
}

test.each([0, 1, 7])("seed %i: every answer equals the oracle's", (seed) => {
  const { lines, problems } = runExample(app, seed);
  expect(problems).toEqual([]);
  const expected = oracle([...generateQueries(WORKLOAD), ...generateTransactions(WORKLOAD)]);
  expect(lines).toEqual(expected);
  expect(lines[0]).toBe('Query: INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v [6,28] => {"affected":1}');
});
