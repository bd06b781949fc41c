/**
 * The statements of the SQL benchmark and which keys each unit reads or writes, the same for
 * every engine (`ops.ts` for portals-ts/sql, `sql/child.ts` for SQLite and the Map). Only a type
 * import: the orchestrator reads these without loading the runtime.
 */
import type { SqlRequest } from "portals-ts/sql";

export const TABLE = { columns: { k: "integer", v: "integer" }, primaryKey: "k" } as const;
export const SELECT = "SELECT v FROM kv WHERE k = $1";
/** An upsert: keys stay within the loaded range, every statement replaces one row's value. */
export const UPSERT = "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v";
export const SCAN = "SELECT k, v FROM kv WHERE k BETWEEN $1 AND $2";
export const UPDATE = "UPDATE kv SET v = v + 1 WHERE k = $1";

export type Kind = "select" | "upsert" | "scan" | "txn" | "none";

/** What one measured unit of `kind` asks, for unit `j` over `keys` loaded keys. */
export function statement(kind: Exclude<Kind, "txn" | "none">, j: number, keys: number, scanRows: number): SqlRequest {
  const k = (j * 7919) % keys; // a stride over the keys, the same in every engine
  if (kind === "select") return { sql: SELECT, params: [k] };
  if (kind === "upsert") return { sql: UPSERT, params: [k, j] };
  const lo = k % (keys - scanRows + 1);
  return { sql: SCAN, params: [lo, lo + scanRows - 1] };
}

/** The two keys of transaction `j`: disjoint for the transactions in flight together. */
export function txnKeys(j: number, keys: number): [number, number] {
  const pair = j % Math.floor(keys / 2);
  return [2 * pair, 2 * pair + 1];
}

