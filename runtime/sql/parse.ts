/**
 * Statement text to syntax tree, with pgsql-ast-parser (docs/sql.md, "Parsing"): a maintained,
 * typed PostgreSQL grammar that keeps the location of every node, so an error names where the
 * unsupported part is. `?` placeholders are renumbered `$1`, `$2`, … first (outside quotes and
 * comments), and locations are mapped back to the text the client sent.
 */
import { parse, type PGNode, type Statement } from "pgsql-ast-parser";
import { SqlError } from "./sql-error.js";

/** A parsed statement and how to name a place in its text. */
export interface Parsed {
  readonly statement: Statement;
  /** `line:column` (1-based) of a node in the text the client sent, for messages. */
  at(node: PGNode | undefined): string;
}

/**
 * Parses one statement.
 *
 * @throws SqlError as {@link numberPlaceholders} does; `syntax` with the line and column of the first error, or when the text holds
 *   no statement or more than one
 */
export function parseStatement(text: string): Parsed {
  const { sql, inserted } = numberPlaceholders(text);
  const original = (offset: number): number => offset - inserted.filter((at) => at < offset).length;
  const at = (node: PGNode | undefined): string => (node?._location === undefined ? "?" : position(text, original(node._location.start)));
  let statements: Statement[];
  try {
    statements = parse(sql, { locationTracking: true });
  } catch (thrown) {
    throw new SqlError("syntax", syntaxMessage(text, sql, original, thrown));
  }
  if (statements.length === 0) throw new SqlError("syntax", "no statement: send one SQL statement, e.g. SELECT * FROM kv WHERE k = 1");
  if (statements.length > 1) throw new SqlError("syntax", `one statement per request: a second one starts at ${at(statements[1])}; send it in its own request`);
  return { statement: statements[0]!, at };
}

/** `line:column` of `offset` in `text`, both 1-based. */
function position(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split("\n").length;
  return `${line}:${offset - before.lastIndexOf("\n")}`;
}

/** The parser's error as one line: `syntax error at 1:8 near "*"`. */
function syntaxMessage(text: string, sql: string, original: (offset: number) => number, thrown: unknown): string {
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  if (message.includes("Unexpected end of input")) return `syntax error at ${position(text, text.trimEnd().length)}: the statement ends early`;
  const found = /line (\d+) col (\d+)/.exec(message);
  if (found === null) return `syntax error: ${message.split("\n")[0]}`;
  const lines = sql.split("\n");
  const offset = lines.slice(0, Number(found[1]) - 1).reduce((n, l) => n + l.length + 1, 0) + Number(found[2]) - 1;
  const near = /^\S{1,20}/.exec(sql.slice(offset))?.[0];
  return `syntax error at ${position(text, original(offset))}${near === undefined ? " at the end of the statement" : ` near ${JSON.stringify(near)}`}`;
}

/**
 * Rewrites `?` placeholders as `$1`, `$2`, … outside string literals, quoted identifiers,
 * dollar-quoted strings and comments. `inserted` lists the offsets (in the rewritten text) of
 * each added character.
 *
 * @throws SqlError `syntax` for a text that mixes `?` and `$n`, and `unsupported` for a number in
 *   scientific notation (the grammar would read `1e3` as `1 AS e3`: a wrong answer, not an error)
 */
export function numberPlaceholders(text: string): { sql: string; inserted: number[] } {
  let sql = "";
  const inserted: number[] = [];
  let n = 0;
  let dollar = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const close = closing(text, i);
    if (close !== null) {
      const from = i + (close === "*/" ? 2 : close.length > 1 ? close.length : 1);
      const end = text.indexOf(close, from);
      const stop = end < 0 ? text.length : end + close.length;
      sql += text.slice(i, stop);
      i = stop - 1;
    } else if (c === "?") {
      if (dollar >= 0) throw mixed(text, dollar);
      const name = `$${++n}`;
      for (let k = 1; k < name.length; k++) inserted.push(sql.length + k);
      sql += name;
    } else if (c === "$" && /[0-9]/.test(text[i + 1] ?? "")) {
      if (n > 0) throw mixed(text, i);
      if (dollar < 0) dollar = i;
      sql += c;
    } else {
      const number = /^[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]+|^\.[0-9]+[eE][+-]?[0-9]+/.exec(text.slice(i, i + 40));
      if (number !== null && !/[A-Za-z0-9_$.]/.test(text[i - 1] ?? "")) {
        throw new SqlError("unsupported", `the number ${number[0]} at ${position(text, i)} is in scientific notation, which this table does not read; write it out (${Number(number[0])}) or pass it as a parameter`);
      }
      sql += c;
    }
  }
  return { sql, inserted };
}

/** The text that closes a quote or comment opening at `i`, or `null` when none opens there. */
function closing(text: string, i: number): string | null {
  const c = text[i]!;
  if (c === "'" || c === '"') return c;
  if (c === "-" && text[i + 1] === "-") return "\n";
  if (c === "/" && text[i + 1] === "*") return "*/";
  if (c === "$") {
    const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i, i + 64));
    if (tag !== null && !/[A-Za-z0-9_]/.test(text[i - 1] ?? "")) return tag[0];
  }
  return null;
}

function mixed(text: string, at: number): SqlError {
  return new SqlError("syntax", `the statement mixes ? and $n parameters (at ${position(text, at)}); use one kind`);
}
