/**
 * Expressions compiled to closures over a row and the statement's parameters (docs/sql.md,
 * "Expressions"). NULL follows SQL's three-valued logic: a comparison with NULL is NULL, and a
 * WHERE keeps a row only when its condition is TRUE. Plans are cached by text, so a statement's
 * expressions are compiled once and evaluated many times.
 */
import type { Expr, PGNode } from "pgsql-ast-parser";
import type { SqlValue } from "./protocol.js";
import type { Row, Schema } from "./schema.js";
import { describe } from "./schema.js";
import { SqlError } from "./sql-error.js";

/** The values an expression reads: the row (or `null` for constants), parameters, and `excluded` in `ON CONFLICT`. */
export interface Scope {
  readonly row: Row | null;
  readonly params: readonly SqlValue[];
  readonly excluded?: Row;
}

/** A compiled expression. */
export type Compiled = (scope: Scope) => SqlValue;

/** What compiling needs: the table, how to name places, and what the statement allows. */
export interface CompileContext {
  readonly schema: Schema;
  at(node: PGNode | undefined): string;
  /** True in `ON CONFLICT … DO UPDATE`, where `excluded.col` is the row that was not inserted. */
  readonly excluded?: boolean;
  /** Highest parameter number seen so far (updated while compiling). */
  params: number;
  /** Number of column references compiled (0: the expression is a constant). */
  refs: number;
}

/** Compiles `expr`. @throws SqlError `unsupported` or `unknown` naming the part and where it is */
export function compile(expr: Expr, cx: CompileContext): Compiled {
  switch (expr.type) {
    case "integer": {
      const value = expr.value;
      if (!Number.isSafeInteger(value)) throw outOfRange(value, expr, cx);
      return () => value;
    }
    case "numeric": {
      const value = expr.value;
      return () => value;
    }
    case "string": {
      const value = expr.value;
      return () => value;
    }
    case "boolean": {
      const value = expr.value;
      return () => value;
    }
    case "null":
      return () => null;
    case "parameter": {
      const n = Number(expr.name.slice(1));
      if (!Number.isSafeInteger(n) || n < 1) throw new SqlError("syntax", `parameter ${expr.name} at ${cx.at(expr)}: parameters are $1, $2, … or ?`);
      cx.params = Math.max(cx.params, n);
      return (s) => s.params[n - 1]!;
    }
    case "ref":
      return reference(expr, cx);
    case "unary":
      return unary(expr.op, compile(expr.operand, cx), expr, cx);
    case "binary":
      return binary(expr, cx);
    case "ternary": {
      const value = compile(expr.value, cx);
      const lo = compile(expr.lo, cx);
      const hi = compile(expr.hi, cx);
      const negate = expr.op === "NOT BETWEEN";
      return (s) => not(and(compare(">=", value(s), lo(s), expr, cx), compare("<=", value(s), hi(s), expr, cx)), negate);
    }
    case "call":
      return call(expr, cx);
    default:
      throw new SqlError("unsupported", `${nodeName(expr)} at ${cx.at(expr)} is not supported here`);
  }
}

function reference(expr: Extract<Expr, { type: "ref" }>, cx: CompileContext): Compiled {
  const { schema } = cx;
  if (expr.name === "*") throw new SqlError("unsupported", `* at ${cx.at(expr)} is only allowed alone in the select list or in COUNT(*)`);
  const table = expr.table?.name;
  const index = schema.columns.indexOf(expr.name);
  if (table !== undefined && table !== schema.table && !(cx.excluded && table === "excluded")) {
    throw new SqlError("unknown", `unknown table ${table} at ${cx.at(expr)}: this portal serves table ${schema.table}${cx.excluded ? " (and excluded in ON CONFLICT)" : ""}`);
  }
  if (index < 0) throw new SqlError("unknown", `unknown column ${expr.name} at ${cx.at(expr)}: ${schema.table} has ${schema.columns.join(", ")}`);
  cx.refs++;
  if (table === "excluded") return (s) => s.excluded![index] ?? null;
  return (s) => (s.row === null ? null : (s.row[index] ?? null));
}

function unary(op: string, operand: Compiled, node: PGNode, cx: CompileContext): Compiled {
  switch (op) {
    case "NOT":
      return (s) => not(truth(operand(s), node, cx), true);
    case "-":
      return (s) => {
        const v = operand(s);
        return v === null ? null : -number(v, node, cx);
      };
    case "+":
      return (s) => {
        const v = operand(s);
        return v === null ? null : number(v, node, cx);
      };
    case "IS NULL":
      return (s) => operand(s) === null;
    case "IS NOT NULL":
      return (s) => operand(s) !== null;
    case "IS TRUE":
      return (s) => operand(s) === true;
    case "IS NOT TRUE":
      return (s) => operand(s) !== true;
    case "IS FALSE":
      return (s) => operand(s) === false;
    case "IS NOT FALSE":
      return (s) => operand(s) !== false;
    default:
      throw new SqlError("unsupported", `operator ${op} at ${cx.at(node)} is not supported`);
  }
}

function binary(expr: Extract<Expr, { type: "binary" }>, cx: CompileContext): Compiled {
  const { op } = expr;
  if (op === "IN" || op === "NOT IN") {
    const value = compile(expr.left, cx);
    const items = inList(expr.right, expr, cx).map((e) => compile(e, cx));
    const negate = op === "NOT IN";
    return (s) => {
      const v = value(s);
      if (v === null) return null;
      let sawNull = false;
      for (const item of items) {
        const r = compare("=", v, item(s), expr, cx);
        if (r === true) return !negate;
        if (r === null) sawNull = true;
      }
      return sawNull ? null : negate;
    };
  }
  const left = compile(expr.left, cx);
  const right = compile(expr.right, cx);
  switch (op) {
    case "AND":
      return (s) => and(truth(left(s), expr, cx), truth(right(s), expr, cx));
    case "OR":
      return (s) => not(and(not(truth(left(s), expr, cx), true), not(truth(right(s), expr, cx), true)), true);
    case "=":
    case "!=":
    case "<":
    case "<=":
    case ">":
    case ">=":
      return (s) => compare(op, left(s), right(s), expr, cx);
    case "+":
    case "-":
    case "*":
    case "/":
    case "%": {
      const kind = combine(numericKind(expr.left, cx), numericKind(expr.right, cx));
      return (s) => arithmetic(op, left(s), right(s), kind, expr, cx);
    }
    case "||":
      return (s) => {
        const a = left(s);
        const b = right(s);
        return a === null || b === null ? null : `${a}${b}`;
      };
    case "LIKE":
    case "NOT LIKE":
    case "ILIKE":
    case "NOT ILIKE": {
      const negate = op.startsWith("NOT");
      const flags = op.endsWith("ILIKE") ? "is" : "s";
      let cached: [string, RegExp] | null = null;
      return (s) => {
        const v = left(s);
        const p = right(s);
        if (v === null || p === null) return null;
        if (typeof v !== "string" || typeof p !== "string") throw new SqlError("type", `${op} at ${cx.at(expr)} compares text; got ${describe(v)} and ${describe(p)}`);
        if (cached === null || cached[0] !== p) cached = [p, likePattern(p, flags)];
        return cached[1].test(v) !== negate;
      };
    }
    default:
      throw new SqlError("unsupported", `operator ${op} at ${cx.at(expr)} is not supported`);
  }
}

/**
 * The values of an `IN (…)` list. One value in parentheses parses as that value, not as a list.
 *
 * @throws SqlError `unsupported` for a subquery
 */
export function inList(right: Expr, node: PGNode, cx: Pick<CompileContext, "at">): Expr[] {
  if (right.type === "list") return right.expressions;
  if (["select", "union", "union all", "with", "values", "array select"].includes(right.type)) {
    throw new SqlError("unsupported", `IN at ${cx.at(node)} takes a list of values, e.g. k IN (1, 2, 3); subqueries are not supported`);
  }
  return [right];
}

const FUNCTIONS: Record<string, (args: SqlValue[], node: PGNode, cx: CompileContext) => SqlValue> = {
  coalesce: (args) => args.find((a) => a !== null) ?? null,
  abs: (args, node, cx) => (args[0] === null ? null : Math.abs(number(args[0]!, node, cx))),
  lower: (args, node, cx) => (args[0] === null ? null : text(args[0]!, node, cx).toLowerCase()),
  upper: (args, node, cx) => (args[0] === null ? null : text(args[0]!, node, cx).toUpperCase()),
  // Characters (code points), as PostgreSQL counts them, not UTF-16 units.
  length: (args, node, cx) => (args[0] === null ? null : [...text(args[0]!, node, cx)].length),
};

/** Names of the aggregate functions a select list may use. */
export const AGGREGATES = ["count", "sum", "min", "max", "avg"] as const;

function call(expr: Extract<Expr, { type: "call" }>, cx: CompileContext): Compiled {
  const name = expr.function.name;
  if ((AGGREGATES as readonly string[]).includes(name)) {
    throw new SqlError("unsupported", `aggregate ${name.toUpperCase()} at ${cx.at(expr)} must be a whole entry of the select list (${name.toUpperCase()}(…) AS name), not part of an expression or a condition`);
  }
  const fn = FUNCTIONS[name];
  if (fn === undefined || expr.function.schema !== undefined || expr.over != null || expr.filter != null) {
    throw new SqlError("unsupported", `function ${name} at ${cx.at(expr)} is not supported; functions are ${Object.keys(FUNCTIONS).join(", ")} and, in the select list, ${AGGREGATES.join(", ")}`);
  }
  const arity = name === "coalesce" ? -1 : 1;
  if (arity >= 0 && expr.args.length !== arity) throw new SqlError("syntax", `${name} at ${cx.at(expr)} takes ${arity} argument`);
  const args = expr.args.map((a) => compile(a, cx));
  return (s) => fn(args.map((a) => a(s)), expr, cx);
}

/** SQL's AND over TRUE, FALSE and NULL. */
function and(a: boolean | null, b: boolean | null): boolean | null {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

/** NOT when `negate`, NULL staying NULL. */
function not(a: boolean | null, negate: boolean): boolean | null {
  return a === null || !negate ? a : !a;
}

/** A value used as a condition. @throws SqlError `type` for anything but a boolean or NULL */
export function truth(v: SqlValue, node: PGNode, cx: Pick<CompileContext, "at">): boolean | null {
  if (v === null || typeof v === "boolean") return v;
  throw new SqlError("type", `the condition at ${cx.at(node)} is ${describe(v)}, not a boolean`);
}

function number(v: SqlValue, node: PGNode, cx: Pick<CompileContext, "at">): number {
  if (typeof v === "number") return v;
  throw new SqlError("type", `the operand at ${cx.at(node)} is ${describe(v)}; a number is needed`);
}

function text(v: SqlValue, node: PGNode, cx: Pick<CompileContext, "at">): string {
  if (typeof v === "string") return v;
  throw new SqlError("type", `the argument at ${cx.at(node)} is ${describe(v)}; text is needed`);
}

/** Compares two values of one kind; NULL when either is NULL. @throws SqlError `type` for values of different kinds */
export function compare(op: string, a: SqlValue, b: SqlValue, node: PGNode, cx: Pick<CompileContext, "at">): boolean | null {
  if (a === null || b === null) return null;
  if (typeof a !== typeof b) throw new SqlError("type", `cannot compare ${describe(a)} with ${describe(b)} at ${cx.at(node)}`);
  switch (op) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    default:
      return a >= b;
  }
}

/**
 * `+ - * / %` on two numbers. `kind` is what the operands are by the statement's text: integers
 * (integer columns and literals) divide as integers, as in PostgreSQL and SQLite, and a real
 * never does, even when it holds a whole number (`1.0 / 2` is 0.5); parameters are known only
 * by their value. An integer result beyond ±(2^53−1) is an error, never a rounded answer.
 */
function arithmetic(op: string, a: SqlValue, b: SqlValue, kind: NumericKind, node: PGNode, cx: Pick<CompileContext, "at">): SqlValue {
  if (a === null || b === null) return null;
  const x = number(a, node, cx);
  const y = number(b, node, cx);
  const integers = kind === "integer" || (kind === "unknown" && Number.isInteger(x) && Number.isInteger(y));
  let r: number;
  switch (op) {
    case "+":
      r = x + y;
      break;
    case "-":
      r = x - y;
      break;
    case "*":
      r = x * y;
      break;
    default:
      if (y === 0) throw new SqlError("type", `division by zero at ${cx.at(node)}`);
      r = op === "/" ? (integers ? Math.trunc(x / y) : x / y) : x % y;
  }
  if (integers && !Number.isSafeInteger(r)) throw outOfRange(r, node, cx);
  if (!Number.isFinite(r)) throw new SqlError("type", `the result at ${cx.at(node)} is out of the range of a real`);
  return r;
}

/** What a numeric expression is by its text: an integer, a real, or known only at run time. */
export type NumericKind = "integer" | "real" | "unknown";

/** The {@link NumericKind} of `expr`: literals and columns by their type, arithmetic by its operands. */
export function numericKind(expr: Expr, cx: Pick<CompileContext, "schema">): NumericKind {
  switch (expr.type) {
    case "integer":
      return "integer";
    case "numeric":
      return "real";
    case "ref": {
      const type = cx.schema.types[cx.schema.columns.indexOf(expr.name)];
      return type === "integer" ? "integer" : type === "real" ? "real" : "unknown";
    }
    case "unary":
      return expr.op === "-" || expr.op === "+" ? numericKind(expr.operand, cx) : "unknown";
    case "binary":
      return ["+", "-", "*", "/", "%"].includes(expr.op) ? combine(numericKind(expr.left, cx), numericKind(expr.right, cx)) : "unknown";
    case "call":
      return expr.function.name === "abs" && expr.args.length === 1 ? numericKind(expr.args[0]!, cx) : expr.function.name === "length" ? "integer" : "unknown";
    default:
      return "unknown";
  }
}

function combine(a: NumericKind, b: NumericKind): NumericKind {
  if (a === "real" || b === "real") return "real";
  return a === "integer" && b === "integer" ? "integer" : "unknown";
}

/** The error for an integer beyond what a number holds exactly. */
export function outOfRange(value: number, node: PGNode, cx: Pick<CompileContext, "at">): SqlError {
  return new SqlError("type", `integer out of range at ${cx.at(node)}: ${value} is beyond ±9007199254740991 (2^53−1), the integers kept exactly; use a real or text for larger numbers`);
}

/** A LIKE pattern (`%` any run, `_` one character, `\` escapes) as a regular expression. */
function likePattern(pattern: string, flags: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\" && i + 1 < pattern.length) source += escape(pattern[++i]!);
    else if (c === "%") source += ".*";
    else if (c === "_") source += ".";
    else source += escape(c);
  }
  return new RegExp(`^${source}$`, flags);
}

function escape(c: string): string {
  return /[.*+?^${}()|[\]\\]/.test(c) ? `\\${c}` : c;
}

/** How a node is named in "not supported" messages. */
export function nodeName(node: { type: string }): string {
  const names: Record<string, string> = {
    select: "a subquery",
    union: "UNION",
    "union all": "UNION ALL",
    with: "WITH",
    values: "VALUES",
    cast: "a cast",
    case: "CASE",
    member: "a JSON operator",
    keyword: "a value keyword",
    list: "a list",
    array: "an array",
    arrayIndex: "an array index",
    extract: "EXTRACT",
    constant: "a typed constant",
    default: "DEFAULT",
  };
  return names[node.type] ?? node.type;
}
