/**
 * examples/sql-kv/demo.sh (the README's SQL walkthrough): a server, the table deployed, queried
 * and updated with `portals sql -e`, a transaction, an error, a SIGKILL and a restart with the
 * rows intact. The script checks each step itself and exits 1 on the first that is not as it says.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";
import { ROOT } from "../compiler/fixtures.js";

test("the SQL demo runs: portals sql against the deployed table, across a SIGKILL", () => {
  const run = spawnSync("bash", [join(ROOT, "examples/sql-kv/demo.sh")], { cwd: ROOT, encoding: "utf8", timeout: 100_000 });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
  expect(run.stdout).toContain(" count | sum\n-------+-----\n     3 |  62\n(1 row)\n");
  expect(run.stdout).toContain("BEGIN\n1 row affected\n1 row affected\n k | v\n---+----\n 1 |  5\n 3 | 36\n(2 rows)\nCOMMIT\n");
  expect(run.stdout.trimEnd().endsWith(" 1 |  5\n 2 | 21\n 3 | 36\n(3 rows)\n\n== done")).toBe(true);
}, 120_000);
