/**
 * The hosts of the transformer (docs/compiler.md, "Hosts"): tspc with the ts-patch plugin, the
 * Node hook (alone and after tsx), and the Vite plugin. They run the built compiler in `dist/`
 * (npm test builds first) as a user's project would.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ts from "typescript";
import { beforeAll, describe, expect, test } from "vitest";
import { portals } from "../../../compiler/hosts/vite.js";
import { ROOT } from "../fixtures.js";

/** What ordinary.ts prints under every host: the ordinary results, then the operator's output. */
const ORDINARY = "2,4,6\nGET /\ntrue\nprice 10\nprice 20\n";

/** Child processes (tspc, node with hooks) take seconds, more on a busy machine. */
const SLOW = { timeout: 60_000 };

const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });

beforeAll(() => {
  if (!existsSync(join(ROOT, "dist/compiler-cjs/compiler/index.js")) || !existsSync(join(ROOT, "dist/examples/countdown/app.js"))) {
    throw new Error("dist/ is not built: run `npm run build` first (npm test does)");
  }
});

/** Builds a one-file project `.cache/<name>` with tspc and the built plugin; returns the run. */
function tspcProject(name: string, source: string, options: { readonly compilerOptions?: object; readonly plugin?: object; readonly args?: string[] } = {}): ReturnType<typeof node> {
  const dir = join(ROOT, ".cache", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "app.ts"), source);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        module: "NodeNext",
        target: "ES2022",
        strict: true,
        rootDir: ".",
        outDir: "out",
        skipLibCheck: true,
        plugins: [{ transform: join(ROOT, "dist/compiler-cjs/compiler/index.js"), ...options.plugin }],
        ...options.compilerOptions,
      },
      files: ["app.ts"],
    }),
  );
  return node([join(ROOT, "node_modules/ts-patch/bin/tspc.js"), "-p", dir, ...(options.args ?? [])]);
}

describe("tspc with the ts-patch plugin", () => {
  test("the built example has machines and runs with plain node", SLOW, () => {
    const built = execFileSync("grep", ["-c", "\\$rt.machine(", join(ROOT, "dist/examples/countdown/app.js")], { encoding: "utf8" });
    expect(Number(built)).toBe(2);
    const run = node(["dist/runtime/cli/main.js", "run", "dist/examples/countdown/app.js"]);
    expect(run.stdout.split("\n").filter(Boolean)).toEqual(["8", "7", "6", "5", "4", "3", "2", "1", "Done!"]);
    expect(run.status).toBe(0);
  });

  test("a compile error fails tspc with file(line,column) and the message", SLOW, () => {
    const run = tspcProject(
      "tspc-error",
      'import { Tasks, type PortalRef } from "portals-ts";\ndeclare const p: PortalRef<number, number>;\nexport const t = Tasks.asker(p, async (x: number) => {\n  await fetch(String(x));\n});\n',
    );
    expect(run.status).not.toBe(0);
    expect(run.stdout).toContain(
      "app.ts(4,3): error TS93002: portals: await of fetch(...) in an operator: only portal requests (portal.request(...)), Promise.all over them, and async helpers that await them can be awaited",
    );
  });

  test("npx tspc -p . builds the whole project, and the built shopping cart runs with plain node", { timeout: 180_000 }, () => {
    const out = join(ROOT, ".cache/tspc-all");
    const build = node([join(ROOT, "node_modules/ts-patch/bin/tspc.js"), "-p", ".", "--outDir", out]);
    expect(build.stdout + build.stderr).toBe("");
    expect(build.status).toBe(0);
    // The built example imports "portals-ts", which is the package's dist/: run it with that CLI.
    const run = spawnSync(process.execPath, [join(ROOT, "dist/runtime/cli/main.js"), "run", join(out, "examples/shopping-cart/app.js")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, PORTALS_CART_DATA: join(ROOT, "examples/shopping-cart/data") },
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^orders: \d+\nitems sold: \d+\ntop 10 items: 0 \(\d+\), /);
    expect(run.stderr).toMatch(/done: \d+ steps, \d+ atoms, \d+ events, [\d.]+ s, \d+ events\/s\n$/);
    // Ordinary async code beside an operator, built by tspc, runs unchanged with plain node.
    const ordinary = spawnSync(process.execPath, [join(out, "test/compiler/hosts/ordinary.js")], { cwd: ROOT, encoding: "utf8" });
    expect([ordinary.stdout, ordinary.stderr]).toEqual([ORDINARY, ""]);
  });

  test("with the program's type checker, tspc also finds locals whose type is not data", SLOW, () => {
    const run = tspcProject(
      "tspc-types",
      [
        'import { Tasks, type PortalRef } from "portals-ts";',
        "declare const p: PortalRef<number, number>;",
        "class Basket { items: number[] = []; }",
        "function openBasket(): Basket { return new Basket(); }",
        "export const t = Tasks.asker(p, async (x: number, ctx) => {",
        "  const basket = openBasket();",
        "  await p.request(x);",
        "  ctx.emit(basket.items.length);",
        "});",
        "",
      ].join("\n"),
    );
    expect(run.status).not.toBe(0);
    expect(run.stdout).toContain("app.ts(6,9): error TS93003: portals: local `basket` holds an instance of class Basket and is used after the await on line 7");
  });
});

describe("tspc: diagnostics without emit, and configurations that would lower async first", () => {
  const awaitsFetch = 'import { Tasks, type PortalRef } from "portals-ts";\ndeclare const p: PortalRef<number, number>;\nexport const t = Tasks.asker(p, async (x: number) => {\n  await fetch(String(x));\n});\n';
  const fine = 'import { Tasks, type PortalRef } from "portals-ts";\ndeclare const p: PortalRef<number, number>;\nexport const t = Tasks.asker(p, async (x: number, ctx) => {\n  ctx.emit(await p.request(x));\n});\n';

  test("tspc --noEmit reports the compiler's diagnostics and writes nothing", SLOW, () => {
    const run = tspcProject("tspc-noemit", awaitsFetch, { args: ["--noEmit"] });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toContain("app.ts(4,3): error TS93002: portals: await of fetch(...) in an operator");
    expect(existsSync(join(ROOT, ".cache/tspc-noemit/out"))).toBe(false);
  });

  test.each([
    ["a target below ES2017", { compilerOptions: { target: "ES2015" } }, 'compilerOptions.target is ES2015, below ES2017: TypeScript would lower async operators to generators'],
    ['a plugin entry with "after": true', { plugin: { after: true } }, 'the portals-ts/compiler plugin runs "after" TypeScript\'s own transformers'],
  ])("%s is refused with TS93006", SLOW, (_, options, message) => {
    const run = tspcProject("tspc-config", fine, options);
    expect(run.status).not.toBe(0);
    expect(run.stdout).toContain(`error TS93006: portals: ${message}`);
  });
});

describe("the Node hook portals-ts/register", () => {
  test("ordinary async code beside an operator runs unchanged", SLOW, () => {
    const run = node(["--import", "./dist/compiler-cjs/compiler/hosts/register.js", "test/compiler/hosts/ordinary.ts"]);
    expect([run.stdout, run.stderr]).toEqual([ORDINARY, ""]);
  });

  test("node --import portals-ts/register runs a TypeScript app with its operators compiled", SLOW, () => {
    const run = node(["--import", "./dist/compiler-cjs/compiler/hosts/register.js", "test/compiler/hosts/countdown.ts"]);
    expect(run.stderr).toBe("");
    expect(run.stdout.split("\n").filter(Boolean)).toEqual(["8", "7", "6", "5", "4", "3", "2", "1", "Done!"]);
  });

  test("registered after tsx, it compiles the operators and tsx does the rest", SLOW, () => {
    const run = node(["--import", "tsx", "--import", "./dist/compiler-cjs/compiler/hosts/register.js", "test/compiler/hosts/countdown.ts"]);
    expect(run.stdout.split("\n").filter(Boolean)).toEqual(["8", "7", "6", "5", "4", "3", "2", "1", "Done!"]);
  });

  test("a compile error stops the module from loading, with file:line:column and the message", SLOW, () => {
    const dir = join(ROOT, ".cache/hook-error");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "bad.ts"), 'import { Tasks } from "portals-ts";\ndeclare const p: any;\nexport const t = Tasks.asker(p, async (x: number) => { await fetch("u"); });\n');
    const run = node(["--import", "./dist/compiler-cjs/compiler/hosts/register.js", join(dir, "bad.ts")]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`portals-ts: cannot compile ${join(dir, "bad.ts")}:\n${join(dir, "bad.ts")}:3:56 - portals: await of fetch(...) in an operator`);
  });

  test("source maps point a compiled operator's stack at the user's line", SLOW, () => {
    const run = node(["--enable-source-maps", "--import", "./dist/compiler-cjs/compiler/hosts/register.js", "test/compiler/hosts/throws.ts"]);
    expect(run.stdout).toMatch(/^Error: boom 2\n\s+at .*test\/compiler\/hosts\/throws\.ts:8:\d+/);
  });
});

describe("the Vite plugin portals-ts/vite", () => {
  test("ordinary async code beside an operator runs unchanged (this suite runs under the plugin)", async () => {
    const { main } = await import("./ordinary.js");
    expect((await main()).join("\n") + "\n").toBe(ORDINARY);
  });

  const plugin = portals({ typescript: ts, root: "/project" });
  const context = {
    error(message: string): never {
      throw new Error(message);
    },
  };

  test("compiles a module with async operators, with a source map", SLOW, () => {
    const code = 'import { Tasks } from "portals-ts";\ndeclare const p: any;\nexport default Tasks.asker(p, async (x: number, ctx: any) => ctx.emit(await p.request(x)));\n';
    const out = plugin.transform.call(context, code, "/project/src/app.ts?v=1")!;
    expect(out.code).toContain('id: "src/app.ts#default"');
    expect(JSON.parse(out.map!).sources).toEqual(["app.ts"]);
  });

  test("leaves other modules to Vite", SLOW, () => {
    expect(plugin.transform.call(context, "export const x = 1;", "/project/src/x.ts")).toBeNull();
    expect(plugin.transform.call(context, "export const f = async () => 1;", "/project/src/f.ts")).toBeNull();
    expect(plugin.transform.call(context, "export const g = async () => 1;", "/project/node_modules/a/g.ts")).toBeNull();
  });

  test("fails the module with file:line:column and the message", SLOW, () => {
    const code = 'import { Tasks } from "portals-ts";\ndeclare const p: any;\nexport default Tasks.asker(p, async (x: number) => { await fetch("u"); });\n';
    expect(() => plugin.transform.call(context, code, "/project/src/bad.ts")).toThrow(
      /^portals-ts: cannot compile \/project\/src\/bad\.ts:\n\/project\/src\/bad\.ts:3:54 - portals: await of fetch\(\.\.\.\) in an operator/,
    );
  });
});
