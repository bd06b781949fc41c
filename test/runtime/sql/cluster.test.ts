/**
 * A table queried from another runtime of the cluster (docs/sql.md, docs/cluster.md): the edge's
 * client application asks the cloud's query portal with the same code it would use in one
 * process, and `LiveSystem.ask` on the edge is forwarded to the cloud; a transaction in a
 * session spans both kinds of clients.
 */
import { expect, test } from "vitest";
import table from "../../../examples/sql-kv/table.js";
import client from "../../../examples/sql-kv/client.js";
import { useCluster } from "../../support/cluster.js";

const cluster = useCluster();

test("an edge runtime queries and updates the cloud's table through its portal", async () => {
  const cloud = await cluster.runtime("cloud");
  const edge = await cluster.runtime("edge");
  await cloud.launchClaimed(table);
  await cluster.known(edge, "/sqlkv", "cloud");
  await edge.launchClaimed(client);

  // The edge's application asks the remote portal; its answers come back as its output. The two
  // statements are in one session, so the SELECT runs after the INSERT (across sessions they would not wait).
  const answers: unknown[] = [];
  edge.tail("/sqlclient/workflows/client/stream", (events) => answers.push(...events));
  await edge.send("/sqlclient/generators/statements", [{ sql: "INSERT INTO kv (k, v) VALUES (1, 10), (2, 20)", session: "edge", seq: 0 }, { sql: "SELECT * FROM kv WHERE k >= 1", session: "edge", seq: 1 }]);
  await expect.poll(() => answers, { timeout: 15_000 }).toEqual([{ affected: 2 }, { columns: ["k", "v"], rows: [[1, 10], [2, 20]] }]);

  // An ask on the edge runtime is forwarded to the runtime that runs the table.
  expect(await edge.ask("/sqlkv/portals/kv", { sql: "BEGIN", session: "s" })).toEqual({ affected: 0 });
  expect(await edge.ask("/sqlkv/portals/kv", { sql: "UPDATE kv SET v = v + 1 WHERE k = 1", session: "s" })).toEqual({ affected: 1 });
  expect(await cloud.ask("/sqlkv/portals/kv", { sql: "SELECT v FROM kv WHERE k = 1" })).toEqual({ columns: ["v"], rows: [[10]] });
  expect(await cloud.ask("/sqlkv/portals/kv", { sql: "COMMIT", session: "s" })).toEqual({ affected: 0 });
  expect(await edge.ask("/sqlkv/portals/kv", { sql: "SELECT v FROM kv WHERE k = 1" })).toEqual({ columns: ["v"], rows: [[11]] });
}, 60_000);
