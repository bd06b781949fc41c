/**
 * The key-value table of the SQL demo, alone: deploy it to a server and query it with
 * `portals sql` or `POST /v1/sql/sqlkv/kv` (examples/sql-kv/README.md).
 */
import { PortalsApp, type ApplicationBuilder } from "portals-ts";
import { sqlTable, type SqlTable } from "portals-ts/sql";

/** Adds the table `kv (k integer primary key, v integer)` to `app`. */
export function kvTable(app: ApplicationBuilder): SqlTable {
  return sqlTable(app, "kv", { columns: { k: "integer", v: "integer" }, primaryKey: "k" });
}

/** The application `sqlkv` holding the table; its query portal is `/sqlkv/portals/kv`. */
export default PortalsApp("sqlkv", (app) => {
  kvTable(app);
});
