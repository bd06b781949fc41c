/**
 * An edge runtime started while its own nats-server answers but that server's leaf link to the
 * cloud is down (docs/cluster.md, "Edge"): the JetStream of its domain does not answer. It starts
 * anyway, says why once, runs its applications, and joins the cluster once the link is up. (Found
 * by the network-namespace edge test, test/examples/edge-netns.test.ts: a restart while cut off
 * was refused as "jetstream is not enabled".)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { PortalsApp, Sinks, Systems } from "portals-ts";
import { joinCluster } from "portals-ts/cluster";
import { freePorts, killAllNats, startNatsConfig } from "../../support/nats.js";
import { until } from "../../support/cluster.js";

const store = mkdtempSync(join(tmpdir(), "portals-edge-start-"));
afterAll(() => {
  killAllNats();
  rmSync(store, { recursive: true, force: true });
});

test("an edge runtime whose leaf node cannot reach the cloud starts, says why once, works locally, and joins once the link is up", async () => {
  const [cloudPort, leafPort] = (await freePorts(2)) as [number, number];
  const leaf = await startNatsConfig(`listen: "127.0.0.1:-1"\nleafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }\n`);
  const lines: string[] = [];
  const link = await joinCluster({ servers: leaf.url, runtime: "edge-late", domain: "cloud", log: (line) => lines.push(line) });
  const system = Systems.live({ link, log: () => {}, checkpointIntervalMs: 50 });
  try {
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(`^the JetStream of domain cloud cannot be reached through NATS at ${leaf.url.replace(/[.]/g, "\\.")} \\(.+\\): the leaf node's link to it may be down, or --nats-domain names no domain; the applications run here, and reach the cluster once it can be$`),
      ),
    ]);
    const kept = Sinks.memory<number>();
    system.launch(PortalsApp("local", (app) => void app.workflows<number, number>("w").source(app.generators.http<number>("in").stream).map((x) => x + 1).sink(kept)));
    await system.send("/local/generators/in", [1, 2]);
    expect(kept.committed).toEqual([2, 3]);

    const cloud = await startNatsConfig(`listen: "127.0.0.1:${cloudPort}"\njetstream { domain: cloud, store_dir: ${JSON.stringify(join(store, "js"))} }\nleafnodes { listen: "127.0.0.1:${leafPort}" }\n`);
    // The leaf node reconnects within a second or two; then the runtime claims its name and records
    // its application, which a runtime of the cloud reads in the directory.
    const reader = await joinCluster({ servers: cloud.url, runtime: "cloud-reader", log: () => {} });
    try {
      await until("the edge's application in the cloud's directory", () => reader.runtimeOf("/local") === "edge-late", 20_000);
    } finally {
      await reader.close();
    }
    expect(lines).toHaveLength(1);
    await cloud.stop();
  } finally {
    await system.close();
    await leaf.stop();
  }
}, 40_000);
