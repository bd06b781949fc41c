// A table of portals-ts/sql as a user writes one: its query portal is /sqlkv/portals/kv.
import { PortalsApp } from "portals-ts";
import { sqlTable } from "portals-ts/sql";

export default PortalsApp("sqlkv", (app) => {
  sqlTable(app, "kv", { columns: { k: "integer", v: "integer" }, primaryKey: "k" });
});
