/**
 * The query mix of the reference's SQL demo (docs/sql.md), seeded: keys and values in
 * `0..1023`, each statement with probability 1/3 an upsert, a point SELECT, or a SELECT of six
 * keys filtered on the value; and transactions in sessions, half two upserts, half a read.
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { SqlRequest } from "portals-ts/sql";

/** What a workload is made of. */
export interface WorkloadOptions {
  readonly seed: number;
  /** Atoms of statements. */
  readonly atoms: number;
  /** Statements per atom (the reference sends 64). */
  readonly atomSize: number;
  /** Keys and values are drawn from `0 … range - 1` (the reference uses 1,024). */
  readonly range: number;
}

/** The example's default workload: 8 atoms of 16 statements over 32 keys, small enough to read. */
export const WORKLOAD: WorkloadOptions = { seed: 2023, atoms: 8, atomSize: 16, range: 32 };

/** Statements without a session, in atoms: upserts, point reads, six-key reads with a filter. */
export function generateQueries(o: WorkloadOptions): SqlRequest[][] {
  const rng = xoroshiro128plus(o.seed);
  const draw = (): number => uniformInt(rng, 0, o.range - 1);
  return Array.from({ length: o.atoms }, () =>
    Array.from({ length: o.atomSize }, (): SqlRequest => {
      switch (uniformInt(rng, 0, 2)) {
        case 0:
          return { sql: "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v", params: [draw(), draw()] };
        case 1:
          return { sql: "SELECT * FROM kv WHERE k = $1", params: [draw()] };
        default: {
          const keys = Array.from({ length: 6 }, draw);
          return { sql: `SELECT * FROM kv WHERE v >= $1 AND k IN (${keys.join(", ")})`, params: [draw()] };
        }
      }
    }),
  );
}

/**
 * Transactions, one atom each, every statement numbered in its session so a retry is answered
 * once: half move a value between two keys, half read one key; all end with COMMIT.
 */
export function generateTransactions(o: WorkloadOptions): SqlRequest[][] {
  const rng = xoroshiro128plus(o.seed + 1);
  const draw = (): number => uniformInt(rng, 0, o.range - 1);
  return Array.from({ length: o.atoms }, (_, n) => {
    const session = `txn-${n}`;
    const statements =
      uniformInt(rng, 0, 1) === 0
        ? ["BEGIN", `UPDATE kv SET v = v - 1 WHERE k = ${draw()}`, `UPDATE kv SET v = v + 1 WHERE k = ${draw()}`, "COMMIT"]
        : ["BEGIN", `SELECT * FROM kv WHERE k = ${draw()}`, "COMMIT"];
    return statements.map((sql, seq) => ({ sql, session, seq }));
  });
}
