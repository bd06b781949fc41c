/**
 * `portals run app.ts | head -2`: when the reader of stdout goes away, the CLI ends quietly
 * (exit 0, nothing on stderr but what it wrote before), not with an EPIPE stack trace.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";
import { ROOT } from "./portals.js";

test("a closed stdout ends the run quietly", { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, [join(ROOT, "dist/runtime/cli/main.js"), "run", "test/runtime/cli/fixtures/many-lines.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  // What `head -2` does: read the first lines, then close the pipe.
  const first = await new Promise<string>((resolve) => child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString("utf8"))));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  expect(first.split("\n").slice(0, 2)).toEqual(["0", "1"]);
  expect(code).toBe(0);
  expect(stderr).not.toMatch(/EPIPE|Error|at /);
});
