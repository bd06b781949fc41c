/**
 * `portals-ts/sql`: SQL over a dataflow table (docs/sql.md). `sqlTable(app, "kv", …)` adds a
 * keyed table workflow and a query portal that runs SQL statements, with sessions,
 * transactions and exactly-once retries.
 */
export { sqlTable, type ColumnType, type SqlTable, type SqlTableOptions } from "./table.js";
export { isSqlFailure, isSqlReply, sqlRequestProblem, SQL_ERROR_STATUS } from "./protocol.js";
export type { SqlAffected, SqlErrorCode, SqlFailure, SqlReply, SqlRequest, SqlRows, SqlValue } from "./protocol.js";
