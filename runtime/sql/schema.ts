/**
 * A table's schema: its columns in order, their types, and which one is the primary key
 * (docs/sql.md, "Tables"). Rows are arrays in column order, so they are small in snapshots.
 */
import type { SqlValue } from "./protocol.js";
import { SqlError } from "./sql-error.js";

/** The type of a column: `integer` (a safe integer), `real` (a finite number), `text`, `boolean`. */
export type ColumnType = "integer" | "real" | "text" | "boolean";

const TYPES: readonly ColumnType[] = ["integer", "real", "text", "boolean"];

/** A row: one value per column, in the schema's column order. */
export type Row = readonly SqlValue[];

/** A checked table schema. */
export interface Schema {
  /** Table name, lower case (identifiers are case-insensitive). */
  readonly table: string;
  /** Column names, lower case, in declaration order. */
  readonly columns: readonly string[];
  /** Column types, by position. */
  readonly types: readonly ColumnType[];
  /** Position of the primary key column. */
  readonly key: number;
}

/**
 * Checks and normalizes a table definition.
 *
 * @throws TypeError naming the table and the problem: no columns, a column name that is not an
 *   identifier or appears twice (case-insensitively), an unknown type, a primary key that is not a
 *   column or is a boolean column
 */
export function makeSchema(table: string, columns: Readonly<Record<string, ColumnType>>, primaryKey: string): Schema {
  const where = `sqlTable(app, ${JSON.stringify(table)})`;
  if (typeof columns !== "object" || columns === null || Object.keys(columns).length === 0) {
    throw new TypeError(`${where}: give the columns, e.g. { columns: { k: "integer", v: "text" }, primaryKey: "k" }`);
  }
  const names: string[] = [];
  const types: ColumnType[] = [];
  for (const [name, type] of Object.entries(columns)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`${where}: column name ${JSON.stringify(name)} is not an identifier (letters, digits and _, not starting with a digit)`);
    const lower = name.toLowerCase();
    if (names.includes(lower)) throw new TypeError(`${where}: column ${JSON.stringify(name)} is declared twice (names are case-insensitive)`);
    if (!TYPES.includes(type)) throw new TypeError(`${where}: column ${name} has type ${JSON.stringify(type)}; use one of ${TYPES.join(", ")}`);
    names.push(lower);
    types.push(type);
  }
  const key = names.indexOf(typeof primaryKey === "string" ? primaryKey.toLowerCase() : "");
  if (key < 0) throw new TypeError(`${where}: primaryKey ${JSON.stringify(primaryKey)} is not one of its columns (${names.join(", ")})`);
  if (types[key] === "boolean") throw new TypeError(`${where}: the primary key ${names[key]} is boolean; a key must be integer, real or text`);
  return { table: table.toLowerCase(), columns: names, types, key };
}

/** True when `value` may be stored in a column of `type` (`null` is checked apart). */
export function fits(value: SqlValue, type: ColumnType): boolean {
  switch (type) {
    case "integer":
      return typeof value === "number" && Number.isSafeInteger(value);
    case "real":
      return typeof value === "number" && Number.isFinite(value);
    case "text":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
  }
}

/**
 * Checks a row about to be stored: every value fits its column, the primary key is not NULL.
 *
 * @throws SqlError `type` naming the column, its type and the value; `constraint` for a NULL key
 */
export function checkRow(schema: Schema, row: Row): void {
  for (let i = 0; i < schema.columns.length; i++) {
    const value = row[i] ?? null;
    if (value === null) {
      if (i === schema.key) throw new SqlError("constraint", `the primary key ${schema.columns[i]} of ${schema.table} cannot be NULL`);
      continue;
    }
    if (!fits(value, schema.types[i]!)) {
      throw new SqlError("type", `column ${schema.columns[i]} of ${schema.table} is ${schema.types[i]}; ${JSON.stringify(value)} is ${describe(value)}`);
    }
  }
}

/** How a value shows in a type error. */
export function describe(value: SqlValue): string {
  if (value === null) return "NULL";
  if (typeof value === "number") return !Number.isInteger(value) ? "a real" : Number.isSafeInteger(value) ? "an integer" : "an integer beyond ±9007199254740991 (2^53−1), the integers kept exactly";
  return typeof value === "string" ? "text" : "a boolean";
}
