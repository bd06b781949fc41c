/**
 * Statements to plans (docs/sql.md, "Planning"): what to read or write, under which keys, with
 * compiled expressions. Planning is a pure function of the text and the schema, so plans are
 * cached by text (per schema), and a row request names its statement by text: the key it is
 * served under finds the same plan without a closure in the request.
 */
import type { Expr, PGNode, SelectedColumn, Statement } from "pgsql-ast-parser";
import { MAX_STATEMENT_LENGTH, statementTooLong, type SqlValue } from "./protocol.js";
import { AGGREGATES, compile, nodeName, truth, type CompileContext, type Compiled, type Scope } from "./expr.js";
import { keyPlan, pointsOf, type KeyPlan } from "./keys.js";
import type { Key } from "../core/key.js";
import { parseStatement } from "./parse.js";
import type { Row, Schema } from "./schema.js";
import { describe } from "./schema.js";
import { SqlError } from "./sql-error.js";

/** A compiled WHERE: true when the row matches (NULL counts as no match). */
export type Filter = (scope: Scope) => boolean;

/** An aggregate of the select list. */
export interface Aggregate {
  readonly fn: (typeof AGGREGATES)[number];
  /** The argument; `null` for `COUNT(*)`. */
  readonly arg: Compiled | null;
  /** Where it is in the statement (`line:column`), for errors. */
  readonly at: string;
}

/** What a SELECT answers: expressions per row, or aggregates over the rows. */
export type Output = { readonly kind: "rows"; readonly columns: readonly string[]; readonly exprs: readonly Compiled[] } | { readonly kind: "aggregate"; readonly columns: readonly string[]; readonly aggregates: readonly Aggregate[] };

/** What to do with an INSERT of a key that exists. */
export type OnConflict = { readonly kind: "error" } | { readonly kind: "nothing" } | { readonly kind: "update"; readonly sets: readonly (readonly [number, Compiled])[]; readonly where: Filter | null };

/** A planned statement. `params` is how many parameters it needs. */
export type Plan = { readonly params: number } & (
  | { readonly kind: "begin" | "commit" | "rollback" }
  | {
      readonly kind: "select";
      readonly keys: KeyPlan;
      readonly filter: Filter | null;
      readonly output: Output;
      readonly descending: boolean;
      readonly limit: Compiled | null;
      readonly offset: Compiled | null;
    }
  | { readonly kind: "insert"; readonly rows: readonly (readonly Compiled[])[]; readonly onConflict: OnConflict }
  | { readonly kind: "update"; readonly keys: KeyPlan; readonly filter: Filter | null; readonly sets: readonly (readonly [number, Compiled])[] }
  | { readonly kind: "delete"; readonly keys: KeyPlan; readonly filter: Filter | null }
);

/** Kinds of statements that change rows. */
export type WritePlan = Extract<Plan, { kind: "insert" | "update" | "delete" }>;

const CACHE_SIZE = 1_024;
const caches = new WeakMap<Schema, Map<string, Plan | SqlError>>();

/**
 * The plan of `text` for `schema`, from the cache or planned now. Failures are cached too, so a
 * bad statement repeated costs no parse.
 *
 * @throws SqlError when the text does not plan (syntax, unsupported, unknown names)
 */
export function planOf(schema: Schema, text: string): Plan {
  if (text.length > MAX_STATEMENT_LENGTH) throw new SqlError("unsupported", statementTooLong(text.length));
  let cache = caches.get(schema);
  if (cache === undefined) caches.set(schema, (cache = new Map()));
  let plan = cache.get(text);
  if (plan === undefined) {
    try {
      plan = planStatement(schema, text);
    } catch (thrown) {
      if (!(thrown instanceof SqlError)) throw thrown;
      plan = thrown;
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(text, plan);
  }
  if (plan instanceof SqlError) throw plan;
  return plan;
}

/** Plans one statement (no cache). @throws SqlError naming what does not plan and where */
export function planStatement(schema: Schema, text: string): Plan {
  const { statement, at } = parseStatement(text);
  const cx: CompileContext = { schema, at, params: 0, refs: 0 };
  const plan = planParsed(statement, cx);
  return { ...plan, params: cx.params } as Plan;
}

type Unnumbered = Plan extends infer P ? (P extends Plan ? Omit<P, "params"> : never) : never;

function planParsed(st: Statement, cx: CompileContext): Unnumbered {
  switch (st.type) {
    case "begin":
    case "commit":
    case "rollback":
      return { kind: st.type };
    case "start transaction":
      return { kind: "begin" };
    case "select":
      return planSelect(st, cx);
    case "insert":
      return planInsert(st, cx);
    case "update": {
      table(st.table, cx);
      refuse(st.from, "UPDATE … FROM", cx);
      refuse(st.returning, "RETURNING", cx);
      return { kind: "update", keys: keyPlan(st.where, cx), filter: filter(st.where, cx), sets: sets(st.sets, cx, false) };
    }
    case "delete":
      table(st.from, cx);
      refuse(st.returning, "RETURNING", cx);
      return { kind: "delete", keys: keyPlan(st.where, cx), filter: filter(st.where, cx) };
    default:
      throw new SqlError("unsupported", `${statementName(st.type)} at ${cx.at(st)} is not supported: a table runs SELECT, INSERT, UPDATE, DELETE, BEGIN, COMMIT and ROLLBACK`);
  }
}

function statementName(type: string): string {
  return type === "union" || type === "union all" || type === "with" || type === "values" ? nodeName({ type }) : type.toUpperCase();
}

/** Checks a table name of the statement. */
function table(name: { name: string; schema?: string; alias?: string } & PGNode, cx: CompileContext): void {
  if (name.name !== cx.schema.table || name.schema !== undefined) {
    throw new SqlError("unknown", `unknown table ${name.schema !== undefined ? `${name.schema}.` : ""}${name.name} at ${cx.at(name)}: this portal serves table ${cx.schema.table}`);
  }
  if (name.alias !== undefined && name.alias !== cx.schema.table) throw new SqlError("unsupported", `table alias ${name.alias} at ${cx.at(name)} is not supported; use ${cx.schema.table}.column or the bare column`);
}

function refuse(part: unknown, what: string, cx: CompileContext, node?: PGNode): void {
  if (part == null || (Array.isArray(part) && part.length === 0)) return;
  const where = node ?? (Array.isArray(part) ? part[0] : part);
  throw new SqlError("unsupported", `${what} at ${cx.at(where as PGNode)} is not supported`);
}

function filter(where: Expr | null | undefined, cx: CompileContext): Filter | null {
  if (where == null) return null;
  const condition = compile(where, cx);
  return (scope) => truth(condition(scope), where, cx) === true;
}

function sets(list: readonly { column: { name: string } & PGNode; value: Expr }[], cx: CompileContext, excluded: boolean): (readonly [number, Compiled])[] {
  const inner: CompileContext = excluded ? { ...cx, excluded: true } : cx;
  const out = list.map(({ column, value }) => {
    const index = cx.schema.columns.indexOf(column.name);
    if (index < 0) throw new SqlError("unknown", `unknown column ${column.name} at ${cx.at(column)}: ${cx.schema.table} has ${cx.schema.columns.join(", ")}`);
    if (index === cx.schema.key) throw new SqlError("unsupported", `SET ${column.name} at ${cx.at(column)}: the primary key cannot be updated; DELETE the row and INSERT it under the new key`);
    return [index, compile(value, inner)] as const;
  });
  if (excluded) cx.params = Math.max(cx.params, inner.params);
  return out;
}

function planSelect(st: Extract<Statement, { type: "select" }>, cx: CompileContext): Unnumbered {
  const from = st.from ?? [];
  if (from.length === 0) throw new SqlError("unsupported", `SELECT without FROM at ${cx.at(st)}: name the table, e.g. SELECT * FROM ${cx.schema.table}`);
  if (from.length > 1 && from[1]!.join != null) throw new SqlError("unsupported", `JOIN at ${cx.at(from[1])} is not supported: a query reads one table`);
  if (from.length > 1) throw new SqlError("unsupported", `a second table at ${cx.at(from[1])} (a join) is not supported: a query reads one table`);
  const source = from[0]!;
  if (source.type !== "table") throw new SqlError("unsupported", `${source.type === "statement" ? "a subquery" : "a function"} in FROM at ${cx.at(source)} is not supported: read the table ${cx.schema.table}`);
  refuse(source.join, "JOIN", cx, source);
  table({ ...source.name, _location: source.name._location ?? source._location }, cx);
  refuse(st.groupBy, "GROUP BY", cx);
  refuse(st.having, "HAVING", cx);
  refuse(st.for, "FOR UPDATE/SHARE", cx);
  refuse(st.skip, "SKIP LOCKED / NOWAIT", cx);
  if (st.distinct != null && st.distinct !== "all") refuse(st.distinct, "DISTINCT", cx, st);
  let descending = false;
  for (const order of st.orderBy ?? []) {
    const key = cx.schema.columns[cx.schema.key]!;
    if (order.by.type !== "ref" || order.by.name !== key) throw new SqlError("unsupported", `ORDER BY at ${cx.at(order.by)}: results can be ordered by the primary key ${key} only`);
    descending = order.order === "DESC";
  }
  const output = outputOf(st.columns ?? [], cx);
  const limit = st.limit?.limit != null ? compile(st.limit.limit, cx) : null;
  const offset = st.limit?.offset != null ? compile(st.limit.offset, cx) : null;
  return { kind: "select", keys: keyPlan(st.where, cx), filter: filter(st.where, cx), output, descending, limit, offset };
}

function outputOf(columns: readonly SelectedColumn[], cx: CompileContext): Output {
  const names: string[] = [];
  const exprs: Compiled[] = [];
  const aggregates: Aggregate[] = [];
  let plain: SelectedColumn | null = null;
  for (const column of columns) {
    const { expr } = column;
    if (expr.type === "ref" && expr.name === "*") {
      if (expr.table != null && expr.table.name !== cx.schema.table) throw new SqlError("unknown", `unknown table ${expr.table.name} at ${cx.at(expr)}: this portal serves table ${cx.schema.table}`);
      cx.schema.columns.forEach((name, i) => {
        names.push(name);
        exprs.push((s) => (s.row === null ? null : (s.row[i] ?? null)));
      });
      plain ??= column;
      continue;
    }
    names.push(column.alias?.name ?? nameOf(expr));
    if (expr.type === "call" && (AGGREGATES as readonly string[]).includes(expr.function.name)) {
      aggregates.push(aggregate(expr, cx));
    } else {
      exprs.push(compile(expr, cx));
      plain ??= column;
    }
  }
  if (aggregates.length > 0) {
    if (plain !== null) throw new SqlError("unsupported", `column at ${cx.at(plain)} next to an aggregate: without GROUP BY (not supported) the select list is all aggregates or none`);
    return { kind: "aggregate", columns: names, aggregates };
  }
  return { kind: "rows", columns: names, exprs };
}

function nameOf(expr: Expr): string {
  if (expr.type === "ref") return expr.name;
  if (expr.type === "call") return expr.function.name;
  return "?column?";
}

function aggregate(expr: Extract<Expr, { type: "call" }>, cx: CompileContext): Aggregate {
  const fn = expr.function.name as Aggregate["fn"];
  refuse(expr.over, "OVER", cx);
  refuse(expr.filter, "FILTER", cx);
  if (expr.distinct === "distinct") throw new SqlError("unsupported", `${fn.toUpperCase()}(DISTINCT …) at ${cx.at(expr)} is not supported`);
  if (expr.args.length !== 1) throw new SqlError("syntax", `${fn.toUpperCase()} at ${cx.at(expr)} takes one argument`);
  const arg = expr.args[0]!;
  if (arg.type === "ref" && arg.name === "*") {
    if (fn !== "count") throw new SqlError("syntax", `${fn.toUpperCase()}(*) at ${cx.at(expr)}: only COUNT takes *`);
    return { fn, arg: null, at: cx.at(expr) };
  }
  return { fn, arg: compile(arg, cx), at: cx.at(expr) };
}

function planInsert(st: Extract<Statement, { type: "insert" }>, cx: CompileContext): Unnumbered {
  table(st.into, cx);
  refuse(st.returning, "RETURNING", cx);
  const { schema } = cx;
  // Without a column list, the values fill the first columns in order and the rest are NULL, as in PostgreSQL.
  const given = st.insert.type === "values" ? Math.max(...st.insert.values.map((tuple) => tuple.length)) : schema.columns.length;
  if (st.columns == null && given > schema.columns.length) throw new SqlError("syntax", `INSERT at ${cx.at(st)} has ${given} values for the ${schema.columns.length} columns of ${schema.table}`);
  const columns = (st.columns ?? schema.columns.slice(0, given).map((name) => ({ name }))).map((c) => {
    const index = schema.columns.indexOf(c.name);
    if (index < 0) throw new SqlError("unknown", `unknown column ${c.name} at ${cx.at(c as PGNode)}: ${schema.table} has ${schema.columns.join(", ")}`);
    return index;
  });
  const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
  if (duplicate !== undefined) throw new SqlError("syntax", `column ${schema.columns[duplicate]} is named twice in the INSERT at ${cx.at(st)}`);
  if (!columns.includes(schema.key)) throw new SqlError("constraint", `INSERT at ${cx.at(st)} gives no primary key: name the column ${schema.columns[schema.key]}`);
  if (st.insert.type !== "values") throw new SqlError("unsupported", `INSERT … ${nodeName(st.insert)} at ${cx.at(st.insert)} is not supported: use INSERT … VALUES (…), (…)`);
  const rows = st.insert.values.map((tuple) => {
    if (tuple.length !== columns.length) throw new SqlError("syntax", `a row of ${tuple.length} values at ${cx.at(tuple[0])} for ${columns.length} columns`);
    const row: Compiled[] = schema.columns.map(() => () => null);
    tuple.forEach((value, i) => {
      const probe: CompileContext = { ...cx, refs: 0 };
      row[columns[i]!] = compile(value, probe);
      cx.params = Math.max(cx.params, probe.params);
      if (probe.refs > 0) throw new SqlError("unsupported", `a column reference in VALUES at ${cx.at(value)}: values are constants or parameters`);
    });
    return row;
  });
  return { kind: "insert", rows, onConflict: onConflict(st, cx) };
}

function onConflict(st: Extract<Statement, { type: "insert" }>, cx: CompileContext): OnConflict {
  const action = st.onConflict;
  if (action == null) return { kind: "error" };
  if (action.on !== undefined) {
    const key = cx.schema.columns[cx.schema.key]!;
    const on = action.on;
    if (on.type !== "on expr" || on.exprs.length !== 1 || on.exprs[0]!.type !== "ref" || (on.exprs[0] as { name: string }).name !== key) {
      throw new SqlError("unsupported", `ON CONFLICT at ${cx.at(on)}: the only conflict is on the primary key; write ON CONFLICT (${key})`);
    }
  }
  if (action.do === "do nothing") return { kind: "nothing" };
  const inner: CompileContext = { ...cx, excluded: true };
  const where = action.where === undefined ? null : filter(action.where, inner);
  const out: OnConflict = { kind: "update", sets: sets(action.do.sets, inner, true), where };
  cx.params = Math.max(cx.params, inner.params);
  return out;
}

/** The rows of an INSERT with `params`, each checked against the schema. */
export function insertRows(plan: Extract<Plan, { kind: "insert" }>, params: readonly SqlValue[]): Row[] {
  const scope: Scope = { row: null, params };
  return plan.rows.map((row) => row.map((value) => value(scope)));
}

/** A LIMIT or OFFSET value. @throws SqlError `type` unless it is a non-negative integer or NULL (no limit) */
export function count(value: Compiled | null, params: readonly SqlValue[], what: string): number | null {
  if (value === null) return null;
  const v = value({ row: null, params });
  if (v === null) return null;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new SqlError("type", `${what} must be a non-negative integer of at most 9007199254740991; it is ${describe(v)}: ${JSON.stringify(v)}`);
  return v;
}

/**
 * The one primary key a statement touches, when it touches exactly one whatever the rows hold
 * (`k = $1`, an INSERT of one row); else `null`, also for a statement that does not plan or
 * lacks parameters. Never throws: it routes requests before anything checks them.
 */
export function pointKey(schema: Schema, text: string, params: readonly SqlValue[]): Key | null {
  try {
    if (!Array.isArray(params)) return null;
    const plan = planOf(schema, text);
    if (params.length !== plan.params) return null;
    let key: SqlValue | undefined;
    if (plan.kind === "insert") {
      if (plan.rows.length !== 1) return null;
      key = plan.rows[0]![schema.key]!({ row: null, params });
    } else if (plan.kind === "select" || plan.kind === "update" || plan.kind === "delete") {
      const ranges = plan.keys(params);
      const points = ranges === null ? null : pointsOf(ranges);
      if (points === null || points.length !== 1) return null;
      key = points[0];
    }
    return typeof key === "string" || (typeof key === "number" && Number.isFinite(key)) ? key : null;
  } catch {
    return null;
  }
}
