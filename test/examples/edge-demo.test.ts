/**
 * examples/edge/demo.sh (examples/edge/README.md): a cloud and an edge runtime, the edge's
 * nats-server a leaf node of the cloud's; the link is cut by stopping the leaf node, the edge
 * runtime is killed and restarted while cut off, and the cloud's stats count every reading once.
 * The script checks each step itself and exits 1 on the first that is not as it says.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";
import { ROOT } from "../compiler/fixtures.js";

test("the edge demo runs: local work goes on while the link is cut, and the cloud catches up exactly once", () => {
  const run = spawnSync("bash", [join(ROOT, "examples/edge/demo.sh")], { cwd: ROOT, encoding: "utf8", timeout: 150_000 });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
  expect(run.stdout).toContain('cloud: dashboard/stats s1 = {"readings":3,"max":31} (the edge\'s new readings wait on the edge)');
  expect(run.stdout).toContain('cloud: dashboard/stats s1 = {"readings":7,"max":40}');
  expect(run.stdout).toContain("edge: alarms: 3 (each once)");
}, 180_000);
