/**
 * Exactly-once across real crashes (docs/snapshots.md): the built CLI runs the shopping cart with
 * snapshots, is killed with SIGKILL at 5 seeded-random moments and restarted with `--restore`
 * each time; the orders file it ends with must equal the orders file of an uninterrupted run.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { expect, test } from "vitest";
import { ROOT } from "../../compiler/fixtures.js";

const CLI = join(ROOT, "dist/runtime/cli/main.js");
const CART = join(ROOT, "dist/examples/shopping-cart/app.js");

function args(dir: string): string[] {
  return [CLI, "run", CART, "--quiet", "--snapshot-dir", join(dir, "snapshots"), "--snapshot-every", "150", "--restore"];
}

/** Starts the run and kills it after `ms`; resolves with how it ended. */
function runAndKill(dir: string, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args(dir), { cwd: ROOT, env: { ...process.env, PORTALS_CART_ORDERS: join(dir, "orders.jsonl") }, stdio: "ignore" });
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

test("killed with SIGKILL at 5 random moments and restored each time, the cart writes the same orders file", { timeout: 300_000 }, async () => {
  if (!existsSync(CLI) || !existsSync(CART)) throw new Error("dist/ is not built: run `npm run build` first (npm test does)");
  const clean = mkdtempSync(join(tmpdir(), "portals-kill-clean-"));
  // The uninterrupted run, with the same snapshots: its output, and how long a run takes here.
  const started = Date.now();
  const reference = spawnSync(process.execPath, args(clean), {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, PORTALS_CART_ORDERS: join(clean, "orders.jsonl") },
  });
  const duration = Date.now() - started;
  expect(reference.status).toBe(0);
  const expected = readFileSync(join(clean, "orders.jsonl"), "utf8");
  expect(expected.split("\n").length).toBeGreaterThan(10_000);

  const dir = mkdtempSync(join(tmpdir(), "portals-kill-"));
  const rng = xoroshiro128plus(7);
  const endings: string[] = [];
  // Each run is killed a fifth to two fifths of a run's time in, so most kills land mid-run on
  // any machine; each restart continues from the newest snapshot.
  for (let kill = 0; kill < 5; kill++) {
    const ending = await runAndKill(dir, uniformInt(rng, Math.round(duration * 0.2), Math.round(duration * 0.4)));
    endings.push(ending.signal ?? `exit ${ending.code}`);
  }
  const last = spawnSync(process.execPath, args(dir), { cwd: ROOT, encoding: "utf8", env: { ...process.env, PORTALS_CART_ORDERS: join(dir, "orders.jsonl") } });
  expect(last.status).toBe(0);
  expect(endings.filter((e) => e === "SIGKILL").length).toBeGreaterThanOrEqual(3);
  expect(readFileSync(join(dir, "orders.jsonl"), "utf8") === expected).toBe(true);
});
