/**
 * The way a user starts: the packed package (`npm pack`, which builds first) scaffolds a project
 * outside the repository (`npx portals-ts init`, here from the tarball), whose `portals-ts`
 * dependency is that tarball; `npm install` (from the registry), `npm test`, `npm start`, and a
 * build with tspc whose output the CLI runs, each checked by its output. Bounded to 3 minutes;
 * it writes only to a temporary directory, which it removes.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "portals-e2e-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The environment without what the npm running this test set for itself (its prefix, its
 * package), and without colours (Vitest forces them for its own workers).
 */
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|FORCE_COLOR$)/i.test(name))), NO_COLOR: "1" };

/** Runs `command args` in `cwd` (at most `seconds`); returns its exit code and output. */
function run(cwd: string, seconds: number, command: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: seconds * 1000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What the template's application logs (create/template/src/app.ts). */
const SHOP = ["ann: 2 apple reserved (3 left)", "bob: 1 pear reserved (1 left)", "cid: 4 apple sold out (3 left)", "dan: 1 pear reserved (0 left)"];

test("a project made by `portals init` from the packed package installs, passes its tests, runs and builds", () => {
  const started = Date.now();
  const status = (): string => execFileSync("git", ["status", "--porcelain", "--ignored=no"], { cwd: ROOT, encoding: "utf8" });
  const before = status();

  // npm pack runs prepack, which builds dist/ from scratch: a fresh clone packs the code.
  const pack = run(ROOT, 120, "npm", "pack", "--pack-destination", work);
  expect(pack.code, pack.stderr).toBe(0);
  const tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz"))!);
  const listed = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n");
  expect(listed).toEqual(expect.arrayContaining(["package/dist/runtime/cli/main.js", "package/dist/compiler-cjs/compiler/index.js", "package/create/template/src/app.ts", "package/create/template/gitignore"]));
  // Source maps carry the sources they point at (which the package does not ship).
  const map = JSON.parse(execFileSync("tar", ["-xzOf", tarball, "package/dist/runtime/cli/run.js.map"], { encoding: "utf8" })) as { sources: string[]; sourcesContent?: string[] };
  expect(map.sourcesContent?.[0]).toBe(readFileSync(join(ROOT, "runtime/cli/run.ts"), "utf8"));

  // What a user types, `npx portals-ts init shop`, with the tarball in place of the registry's package.
  const init = run(work, 120, "npm", "exec", "--yes", "--prefer-offline", "--no-audit", "--no-fund", `--package=${tarball}`, "--", "portals", "init", "shop");
  expect(init.code, init.stderr).toBe(0);
  expect(init.stdout).toContain("created shop: package.json, tsconfig.json, tsconfig.build.json, README.md, src/app.ts, test/app.test.ts, vitest.config.ts, .gitignore\n");
  const shop = join(work, "shop");
  const manifest = JSON.parse(readFileSync(join(shop, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  manifest.dependencies["portals-ts"] = `file:${tarball}`;
  writeFileSync(join(shop, "package.json"), JSON.stringify(manifest, null, 2) + "\n");

  const install = run(shop, 150, "npm", "install", "--prefer-offline", "--no-audit", "--no-fund");
  expect(install.code, install.stderr).toBe(0);
  // No install scripts to approve: better-sqlite3 is an optional peer, not a dependency.
  expect(install.stderr).not.toMatch(/install-scripts|ERESOLVE|peer dep/i);

  const tests = run(shop, 120, "npm", "test");
  expect(tests.code, tests.stdout + tests.stderr).toBe(0);
  expect(tests.stdout).toMatch(/Tests\s+2 passed \(2\)/);

  const start = run(shop, 60, "npm", "start");
  expect(start.code, start.stderr).toBe(0);
  expect(start.stdout.split("\n").filter((line) => !line.startsWith(">") && line !== "")).toEqual(SHOP);
  expect(start.stderr).toMatch(/^done: \d+ steps, \d+ atoms, 12 events, \d+\.\d{3} s, \d+ events\/s$/m);

  const build = run(shop, 120, "npm", "run", "build");
  expect(build.code, build.stdout + build.stderr).toBe(0);
  expect(readFileSync(join(shop, "dist/app.js"), "utf8")).toContain("$rt.machine(");
  const built = run(shop, 60, "npx", "portals", "run", "dist/app.js");
  expect(built.code, built.stderr).toBe(0);
  expect(built.stdout.split("\n").filter(Boolean)).toEqual(SHOP);

  expect(status()).toBe(before);
  console.log(`scaffold end to end: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
