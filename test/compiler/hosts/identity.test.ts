/**
 * Machine identity across hosts and edits (docs/compiler.md, "Machine identity"): a snapshot
 * taken with a tspc build restores into the same program with code inserted above the operator,
 * built by the Node hook or by the Vite plugin, and continues exactly; a change to the
 * operator's own body is refused, naming it.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ts from "typescript";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { portals } from "../../../compiler/hosts/vite.js";
import { ROOT } from "../fixtures.js";

const SLOW = { timeout: 120_000 };
const CLI = join(ROOT, "dist/runtime/cli/main.js");
const REGISTER = join(ROOT, "dist/compiler-cjs/compiler/hosts/register.js");

const operator = [
  "    .asker(previous, async (x, ctx) => {",
  "      const a = await previous.request(x);",
  "      const b = await previous.request(x + 1000);",
  "      ctx.log.info(JSON.stringify({ x, a, b }));",
  "    })",
].join("\n");

/** The application, with `above` inserted before its workflows and `body` as the asker. */
function app(above: string, body = operator): string {
  return [
    'import { PortalsApp } from "portals-ts";',
    "",
    'export default PortalsApp("identity", (app) => {',
    '  const previous = app.portal<number, number>("previous", { key: () => 0 });',
    above,
    '  app.workflows<never, never>("service").source(app.generators.empty<never>({ name: "idle" }).stream)',
    "    .replier(previous, () => {}, (x, ctx) => { const last = ctx.perKey(\"last\", 0); ctx.reply(last.get()); last.set(x); })",
    "    .sink().freeze();",
    '  app.workflows<number, never>("asker").source(app.generators.fromRange(0, 64, 4, { name: "numbers" }).stream)',
    body,
    "    .sink().freeze();",
    "});",
    "",
  ].join("\n");
}

/** Runs the CLI (with `pre` node options, e.g. the hook) on `module`; stdout lines and the run. */
function run(module: string, args: string[], pre: string[] = []) {
  const r = spawnSync(process.execPath, [...pre, CLI, "run", module, "--seed", "7", ...args], { cwd: ROOT, encoding: "utf8" });
  return { ...r, lines: r.stdout.split("\n").filter(Boolean) };
}

describe("a snapshot restores across hosts and edits elsewhere in the file", () => {
  // Inside the repository, so `portals-ts` resolves to this package's dist/ (its self-reference).
  let dir: string;
  beforeAll(() => {
    mkdirSync(join(ROOT, ".cache"), { recursive: true });
    dir = mkdtempSync(join(ROOT, ".cache/identity-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("tspc build → snapshot → hook and Vite builds with a line inserted restore it and continue exactly", SLOW, () => {
    const source = join(dir, "app.ts");
    writeFileSync(source, app(""));
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", target: "ES2022", strict: true, rootDir: ".", outDir: "out", skipLibCheck: true, plugins: [{ transform: join(ROOT, "dist/compiler-cjs/compiler/index.js") }] },
        files: ["app.ts"],
      }),
    );
    const build = spawnSync(process.execPath, [join(ROOT, "node_modules/ts-patch/bin/tspc.js"), "-p", dir], { cwd: ROOT, encoding: "utf8" });
    expect(build.stdout + build.stderr).toBe("");
    const built = join(dir, "out/app.js");

    const whole = run(built, []);
    expect(whole.status).toBe(0);
    expect(whole.lines).toHaveLength(64);

    const snapshots = join(dir, "snapshots");
    const first = run(built, ["--max-steps", "90", "--snapshot-dir", snapshots]);
    expect(first.status).toBe(0);
    expect(first.lines.length).toBeGreaterThan(0);
    expect(first.lines.length).toBeLessThan(64);

    // The same file, edited above the operator: restored by the Node hook...
    writeFileSync(source, app("  const unrelated = [1, 2, 3].map((n) => n * 2);\n  void unrelated;\n"));
    const hookSnapshots = join(dir, "snapshots-hook");
    cpSync(snapshots, hookSnapshots, { recursive: true });
    const hook = run(source, ["--restore", "--snapshot-dir", hookSnapshots], ["--import", REGISTER]);
    expect(hook.stderr).not.toContain("changed since the snapshot");
    expect(hook.status).toBe(0);
    expect([...first.lines, ...hook.lines]).toEqual(whole.lines);

    // ...and by the Vite plugin (its root left to the default).
    const vite = portals({ typescript: ts }).transform(app("  const unrelated = [1, 2, 3].map((n) => n * 2);\n  void unrelated;\n"), source)!;
    const viteModule = join(dir, "vite.js");
    writeFileSync(viteModule, ts.transpileModule(vite.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
    const viteSnapshots = join(dir, "snapshots-vite");
    cpSync(snapshots, viteSnapshots, { recursive: true });
    const restored = run(viteModule, ["--restore", "--snapshot-dir", viteSnapshots]);
    expect(restored.status).toBe(0);
    expect([...first.lines, ...restored.lines]).toEqual(whole.lines);

    // A change to the operator's own body is refused, naming it.
    writeFileSync(source, app("", operator.replace("x + 1000", "x + 2000")));
    const changed = run(source, ["--restore", "--snapshot-dir", snapshots], ["--import", REGISTER]);
    expect(changed.status).not.toBe(0);
    expect(changed.stderr).toMatch(
      /operator \/identity\/workflows\/asker\/\S+ changed since the snapshot \(\.cache\/identity-\w+\/app\.ts#asker\/asker#1@(\w{12}) then, \.cache\/identity-\w+\/app\.ts#asker\/asker#1@(?!\1)\w{12} now\)/,
    );
  });
});
