/**
 * A client application of the table, for a runtime other than the table's (an edge device, or
 * another application on the same server): statements sent to its ingestion stream are asked of
 * `/sqlkv/portals/kv` through the registry, exactly as an application asks any portal, and each
 * answer is logged. With the cluster (docs/cluster.md) the table may run on another runtime.
 *
 *   portals send sqlclient/statements '[{"sql": "SELECT * FROM kv WHERE k = 1"}]'
 */
import { PortalsApp } from "portals-ts";
import type { SqlReply, SqlRequest } from "portals-ts/sql";

export default PortalsApp("sqlclient", (app) => {
  const kv = app.registry.portals.get<SqlRequest, SqlReply>("/sqlkv/portals/kv");
  app
    .workflows<SqlRequest, SqlReply>("client")
    .source(app.generators.http<SqlRequest>("statements").stream)
    .asker<SqlReply>(kv, async (request, ctx) => {
      const reply = await kv.request(request);
      ctx.log.info(`${request.sql} => ${JSON.stringify(reply)}`);
      ctx.emit(reply);
    })
    .sink()
    .freeze();
});
