/**
 * How `portals sql` prints answers: rows as an aligned table in psql's layout (so it reads as
 * SQL users expect), writes as a count of rows, transaction commands by name.
 */
import type { SqlReply, SqlRows, SqlValue } from "../sql/protocol.js";
import { transactionCommand } from "./sql-text.js";

/**
 * The text of `reply`, the answer to `statement`, ending with a newline: a table with a
 * `(N rows)` line, `N rows affected`, `BEGIN`/`COMMIT`/`ROLLBACK`, or `ERROR: <message>`.
 */
export function formatReply(statement: string, reply: SqlReply): string {
  if ("error" in reply) return `ERROR: ${reply.error}\n`;
  if ("affected" in reply) return `${transactionCommand(statement) ?? affected(reply.affected)}\n`;
  return formatRows(reply);
}

function affected(n: number): string {
  return n === 1 ? "1 row affected" : `${n} rows affected`;
}

/**
 * `rows` as psql prints them: column names centred over their columns, a rule of `-` and `+`,
 * numbers right-aligned, other values left-aligned, SQL NULL as `NULL`, then the row count.
 * Lines carry no trailing white space.
 *
 * @example formatRows({ columns: ["k", "v"], rows: [[1, "ten"]] }) →
 *   " k |  v\n---+-----\n 1 | ten\n(1 row)\n"
 */
export function formatRows(rows: SqlRows): string {
  const cells = rows.rows.map((row) => rows.columns.map((_, c) => cellText(row[c] ?? null)));
  const numeric = rows.columns.map((_, c) => rows.rows.some((row) => typeof row[c] === "number"));
  const widths = rows.columns.map((name, c) => Math.max(width(name), ...cells.map((row) => width(row[c]!))));
  const line = (parts: readonly string[]): string => ` ${parts.join(" | ")}`.trimEnd();
  const out = [
    line(rows.columns.map((name, c) => centre(name, widths[c]!))),
    widths.map((w) => "-".repeat(w + 2)).join("+"),
    ...cells.map((row, r) => line(row.map((text, c) => (typeof rows.rows[r]![c] === "number" || (numeric[c]! && text === "NULL") ? padStart(text, widths[c]!) : padEnd(text, widths[c]!))))),
    `(${rows.rows.length} ${rows.rows.length === 1 ? "row" : "rows"})`,
  ];
  return out.join("\n") + "\n";
}

/** A value as one line of a table cell: control characters escaped, so a row stays one line. */
export function cellText(value: SqlValue): string {
  if (value === null) return "NULL";
  if (typeof value === "string") return value.replace(/[\n\r\t]/g, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t"));
  return String(value);
}

// Widths in code points: a character outside the BMP is one column, not two UTF-16 units.
function width(text: string): number {
  return [...text].length;
}

function padStart(text: string, w: number): string {
  return " ".repeat(w - width(text)) + text;
}

function padEnd(text: string, w: number): string {
  return text + " ".repeat(w - width(text));
}

function centre(text: string, w: number): string {
  const left = Math.floor((w - width(text)) / 2);
  return padEnd(" ".repeat(left) + text, w);
}
