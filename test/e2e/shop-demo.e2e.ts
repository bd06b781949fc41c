/**
 * examples/shop/demo.sh as a user runs it (docs/live.md): a real server, the shop deployed one
 * application at a time with `portals deploy`, queried, killed with SIGKILL and restarted. The
 * script checks what it shows and exits 1 otherwise.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";

const ROOT = join(import.meta.dirname, "../..");

test("examples/shop/demo.sh runs from the README's command and its checks hold", { timeout: 180_000 }, () => {
  const run = spawnSync("bash", ["examples/shop/demo.sh"], { cwd: ROOT, encoding: "utf8", timeout: 170_000 });
  const output = run.stdout + run.stderr;
  expect(output).toContain("422 the deployment was refused: application /cart: /cart/workflows/cart needs portal /inventory/portals/inventory");
  expect(output).toContain("deployment 5 launched generator");
  expect(output).toMatch(/restored snapshot \d{12}-\d{9}/);
  expect(output).toMatch(/100 items checked|\d+ items checked/);
  expect(run.status, output).toBe(0);
});
