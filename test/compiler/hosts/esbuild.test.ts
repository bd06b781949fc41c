/**
 * The esbuild host (docs/compiler.md, "Hosts"), with a real esbuild: the plugin in
 * `esbuild.build`, and `bundleDeployment`, whose bundles run against the built package (dist/,
 * npm test builds first) with the same log as the tspc build of the same example.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import * as esbuild from "esbuild";
import * as ts from "typescript";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bundleDeployment, portals } from "../../../compiler/hosts/esbuild.js";
import { ROOT } from "../fixtures.js";

/** esbuild and child processes take seconds on a busy machine. */
const SLOW = { timeout: 60_000 };

/** Launches the applications a module default-exports in `Systems.test` and prints its log. */
const RUNNER = [
  'import { pathToFileURL } from "node:url";',
  'import { Systems } from "portals-ts";',
  "const { default: apps } = await import(pathToFileURL(process.argv[2]).href);",
  "const system = Systems.test({ log: (line) => console.log(line) });",
  "for (const app of [apps].flat()) system.launch(app);",
  "system.stepUntilComplete();",
  "",
].join("\n");

// Inside the repository, so `portals-ts` resolves to this package's dist/ (its self-reference).
let dir: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, "dist/compiler-cjs/compiler/hosts/esbuild.js")) || !existsSync(join(ROOT, "dist/examples/countdown/app.js"))) {
    throw new Error("dist/ is not built: run `npm run build` first (npm test does)");
  }
  mkdirSync(join(ROOT, ".cache"), { recursive: true });
  dir = mkdtempSync(join(ROOT, ".cache/esbuild-"));
  writeFileSync(join(dir, "run.mjs"), RUNNER);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `text` to `name` in the temporary directory; returns its path. */
function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

/** Runs node on `args` from the temporary directory. */
const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 30_000 });

/** The log of the applications `module` default-exports, run in `Systems.test`. */
function log(module: string): string {
  const run = node([join(dir, "run.mjs"), module]);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return run.stdout;
}

/** The machine ids of compiled code. */
const ids = (code: string) => [...code.matchAll(/\bid: "([^"]+)"/g)].map((m) => m[1]);

const awaitsFetch = 'import { Tasks } from "portals-ts";\ndeclare const p: any;\nexport default Tasks.asker(p, async (x: number) => { const s = "café"; await fetch(s); });\n';
const ordinary = "export async function double(xs: number[]): Promise<number[]> {\n  return await Promise.all(xs.map(async (x) => x * 2));\n}\n";

test("the package exports the built host as portals-ts/esbuild", SLOW, () => {
  const script = 'const m = await import("portals-ts/esbuild"); console.log(m.portals().name, typeof m.bundleDeployment);';
  const run = node(["--input-type=module", "-e", script]);
  expect([run.stdout, run.stderr]).toEqual(["portals-ts function\n", ""]);
});

describe("the plugin in esbuild.build", () => {
  const build = (entry: string, plugins: esbuild.Plugin[]) =>
    esbuild.build({ entryPoints: [entry], bundle: true, format: "esm", platform: "node", write: false, logLevel: "silent", external: ["portals-ts"], plugins });

  test("a module without operators is left to esbuild: the same output as without the plugin", SLOW, async () => {
    const entry = write("ordinary.ts", ordinary);
    const [plain, compiled] = await Promise.all([build(entry, []), build(entry, [portals({ typescript: ts })])]);
    expect(compiled.outputFiles[0]!.text).toBe(plain.outputFiles[0]!.text);
  });

  test("a module matched by exclude is left to esbuild", SLOW, async () => {
    const entry = write("excluded.ts", awaitsFetch);
    const [plain, excluded] = await Promise.all([build(entry, []), build(entry, [portals({ typescript: ts, exclude: /excluded/ })])]);
    expect(excluded.outputFiles[0]!.text).toBe(plain.outputFiles[0]!.text);
  });

  test("a compile error fails the build with an error at the diagnostic's file, line and column", SLOW, async () => {
    const entry = write("bad.ts", awaitsFetch);
    const failure = await build(entry, [portals({ typescript: ts })]).catch((thrown: esbuild.BuildFailure) => thrown);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as esbuild.BuildFailure).errors).toEqual([
      expect.objectContaining({
        pluginName: "portals-ts",
        text: expect.stringMatching(/^portals: await of fetch\(\.\.\.\) in an operator: /),
        // esbuild counts columns from 0 in bytes: "é" is two.
        location: expect.objectContaining({ file: relative(process.cwd(), entry), line: 3, column: 72, lineText: awaitsFetch.split("\n")[2] }),
      }),
    ]);
  });
});

describe("bundleDeployment", () => {
  test.each(["countdown", "ping-pong"])("the %s example bundles into a module that runs like the tspc build", SLOW, async (example) => {
    const { code, warnings } = await bundleDeployment(join(ROOT, "examples", example, "app.ts"));
    expect(warnings).toEqual([]);
    expect(code).toContain('import * as $rt from "portals-ts/machine";');
    const built = join(ROOT, "dist/examples", example, "app.js");
    // The same machines, by id, as the tspc build: a snapshot of one restores into the other.
    expect(ids(code)).toEqual(ids(readFileSync(built, "utf8")));
    expect(ids(code).length).toBeGreaterThan(0);
    const expected = log(built);
    expect(expected).not.toBe("");
    expect(log(write(`${example}.mjs`, code))).toBe(expected);
  });

  test("a module without operators bundles without the machine protocol and runs", SLOW, async () => {
    const { code } = await bundleDeployment(join(ROOT, "examples/hello-world/app.ts"));
    expect(code).not.toContain("portals-ts/machine");
    expect(log(write("hello-world.mjs", code))).toBe(log(join(ROOT, "dist/examples/hello-world/app.js")));
  });

  test("portals-ts stays external; other packages are bundled in, Node's built-ins stay imports", SLOW, async () => {
    const entry = write(
      "uses.ts",
      [
        'import { basename } from "node:path";',
        'import { Command } from "commander";',
        'import { PortalsApp } from "portals-ts";',
        "const name = new Command().name(basename('/x/uses')).name();",
        "export default PortalsApp(name, (app) => {",
        "  app.workflows<string, string>('w').source(app.generators.signal(name, { name: 'n' }).stream).logger().sink().freeze();",
        "});",
        "",
      ].join("\n"),
    );
    const { code } = await bundleDeployment(entry);
    expect(code).toContain('from "portals-ts"');
    expect(code).not.toContain("class Application");
    expect(code).toMatch(/from "(node:)?path"/);
    expect(code).not.toContain('from "commander"');
    expect(code).toContain("// node_modules/commander/lib/command.js");
    // commander is CommonJS and requires Node's built-ins: the bundle gives it a `require`.
    expect(log(write("uses.mjs", code))).toContain("uses");
  });

  test("compile and bundle errors throw one error listing file:line:column - message, paths relative", SLOW, async () => {
    const bad = write("bad.ts", awaitsFetch);
    const entry = write("app.ts", 'import bad from "./bad.js";\nimport { other } from "./missing.js";\nexport default [bad, other];\n');
    const failure = (await bundleDeployment(entry).catch((thrown: unknown) => thrown)) as Error & { code: string; diagnostics: string[] };
    expect(failure).toBeInstanceOf(Error);
    const lines = [
      `${relative(process.cwd(), entry)}:2:23 - Could not resolve "./missing.js"`,
      // Columns as TypeScript counts them, like every other host (from 1, "é" one), not as esbuild does.
      `${relative(process.cwd(), bad)}:3:72 - portals: await of fetch(...) in an operator: only portal requests (portal.request(...)), Promise.all over them, and async helpers that await them can be awaited, because only those can be suspended and resumed from a snapshot`,
    ];
    expect({ code: failure.code, diagnostics: [...failure.diagnostics].sort() }).toEqual({ code: "ERR_PORTALS_COMPILE", diagnostics: lines });
    for (const line of lines) expect(failure.message).toContain(`\n${line}`);
  });

  test("without esbuild where the module is, it says what to install", SLOW, async () => {
    const outside = mkdtempSync(join(tmpdir(), "portals-esbuild-"));
    try {
      await expect(bundleDeployment(join(outside, "app.js"))).rejects.toThrow(
        `portals-ts needs esbuild ~0.28 to bundle a deployment, and none is installed where ${join(outside, "app.js")} can find it; install it: npm install --save-dev esbuild@~0.28`,
      );
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test("the inline source map points a compiled operator's stack at the user's file and line", SLOW, async () => {
    const { code } = await bundleDeployment(join(ROOT, "test/compiler/hosts/throws.ts"));
    const run = node(["--enable-source-maps", write("throws.mjs", code)]);
    const [message, frame] = run.stdout.split("\n");
    expect(message).toBe("Error: boom 2");
    expect(frame).toMatch(/^\s+at .*\((.*):8:\d+\)$/);
    expect(/\((.*):8:\d+\)$/.exec(frame!)![1]).toBe(join(ROOT, "test/compiler/hosts/throws.ts"));
  });
});
