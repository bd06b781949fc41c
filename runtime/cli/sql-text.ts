/**
 * SQL text as `portals sql` cuts it into statements: a `;` ends a statement only outside
 * quotes ('…', "…", with doubled quotes inside; dollar quotes `$$…$$` and `$tag$…$tag$`) and
 * comments (`-- …`, `/* … *\/`), as in psql. The server parses each statement; this only finds
 * where one ends.
 */

/** What the text after the last complete statement is still inside of, if anything (`$`: a dollar quote). */
export type OpenContext = "'" | '"' | "$" | "/*" | null;

/** A dollar quote's opening (sticky: at `lastIndex`): `$$` or `$tag$`, a tag being an identifier without `$`. */
const DOLLAR_QUOTE = /\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/y;

/** The dollar quote opening at `i` in `text`, or `undefined`. */
function dollarQuoteAt(text: string, i: number): string | undefined {
  // After a letter, digit or `$`, a `$` is part of a name (`a$b$`) or follows a parameter's, not a quote.
  if (i > 0 && /[\w$\u0080-\uffff]/.test(text[i - 1]!)) return undefined;
  DOLLAR_QUOTE.lastIndex = i;
  return DOLLAR_QUOTE.exec(text)?.[0];
}

/** Statements cut from a text, and what is left after the last `;`. */
export interface SplitText {
  /** The complete statements, in order, without their `;`; leading comments and blank ones dropped. */
  readonly statements: readonly string[];
  /** The text after the last `;` (or all of it): an unfinished statement, comments or nothing. */
  readonly rest: string;
  /** The quote (`$` for a dollar quote) or block comment `rest` ends inside, `null` when none. */
  readonly open: OpenContext;
}

/**
 * Cuts `text` into the statements it ends with `;`.
 *
 * @example splitStatements("INSERT INTO t VALUES (1, 'a;b'); SELECT 1") →
 *   { statements: ["INSERT INTO t VALUES (1, 'a;b')"], rest: " SELECT 1", open: null }
 */
export function splitStatements(text: string): SplitText {
  const statements: string[] = [];
  let start = 0;
  let open: OpenContext = null;
  // The opening of the dollar quote `open === "$"` is inside of: it is also its end.
  let tag = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    const dollar = open === null && c === "$" ? dollarQuoteAt(text, i) : undefined;
    if (open === "$") {
      const end = text.indexOf(tag, i);
      i = end < 0 ? text.length : end + tag.length;
      if (end >= 0) open = null;
    } else if (open === "'" || open === '"') {
      // A doubled quote is the quote itself; either way the scan goes on after the pair.
      if (c === open) {
        if (next === open) i++;
        else open = null;
      }
      i++;
    } else if (open === "/*") {
      if (c === "*" && next === "/") {
        open = null;
        i++;
      }
      i++;
    } else if (c === "'" || c === '"') {
      open = c;
      i++;
    } else if (dollar !== undefined) {
      tag = dollar;
      open = "$";
      i += tag.length;
    } else if (c === "-" && next === "-") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end + 1;
    } else if (c === "/" && next === "*") {
      open = "/*";
      i += 2;
    } else if (c === ";") {
      const statement = withoutLeadingComments(text.slice(start, i));
      if (statement !== "") statements.push(statement);
      i++;
      start = i;
    } else {
      i++;
    }
  }
  return { statements, rest: text.slice(start), open };
}

/**
 * `statement` from its first token on, without trailing white space: comments before it are
 * not part of it (they would also shift the positions the server's messages name).
 */
export function withoutLeadingComments(statement: string): string {
  let s = statement.trimStart();
  for (;;) {
    if (s.startsWith("--")) {
      const end = s.indexOf("\n");
      s = end < 0 ? "" : s.slice(end + 1).trimStart();
    } else if (s.startsWith("/*")) {
      const end = s.indexOf("*/", 2);
      // An unclosed comment is left for the server to report.
      if (end < 0) return s.trimEnd();
      s = s.slice(end + 2).trimStart();
    } else {
      return s.trimEnd();
    }
  }
}

/** The statements of a whole script: those ending with `;`, and the last one, which needs none. */
export function scriptStatements(text: string): string[] {
  const { statements, rest } = splitStatements(text);
  const last = withoutLeadingComments(rest);
  return last === "" ? [...statements] : [...statements, last];
}

/** The transaction command `statement` is (`BEGIN`, `COMMIT` or `ROLLBACK`), or `undefined`. */
export function transactionCommand(statement: string): "BEGIN" | "COMMIT" | "ROLLBACK" | undefined {
  const word = /^\s*([a-z]+)/i.exec(statement)?.[1]?.toUpperCase();
  if (word === "BEGIN" || word === "START") return "BEGIN";
  if (word === "COMMIT" || word === "END") return "COMMIT";
  if (word === "ROLLBACK" || word === "ABORT") return "ROLLBACK";
  return undefined;
}
