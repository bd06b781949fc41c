/**
 * The playground's compiler under Node (docs/playground.md, "Compiling"): the same
 * `ModuleCompiler` the worker runs, over declarations read from disk instead of bundled. The page
 * test compiles and runs in Chromium; this one pins what the compiler produces.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { ModuleCompiler, type Declarations, type SourceFile } from "../../playground/src/compile.js";

const ROOT = join(import.meta.dirname, "../..");

/** Every file under `dir` whose name passes `keep`, by path relative to `dir`. */
function read(dir: string, keep: (name: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    if (keep(entry)) out[relative(dir, join(dir, entry))] = readFileSync(join(dir, entry), "utf8");
  }
  return out;
}

let compiler: ModuleCompiler;
beforeAll(() => {
  const declarations: Declarations = {
    libs: read(join(ROOT, "node_modules/typescript/lib"), (n) => /^lib\.(es5|es20\d\d(\.\w+)*|decorators(\.\w+)*)\.d\.ts$/.test(n) && !n.includes(".full.")),
    portals: read(join(ROOT, "dist/runtime"), (n) => n.endsWith(".d.ts") && !/^(cli|server|cluster)\//.test(n)),
    pureRand: read(join(ROOT, "node_modules/pure-rand/lib"), (n) => n.endsWith(".d.ts") && !n.startsWith("esm/")),
  };
  compiler = new ModuleCompiler(declarations);
});

/** The shopping cart's browser form and the files of its folder it imports. */
function shoppingCart(): { text: string; path: string; files: SourceFile[] } {
  const dir = "examples/shopping-cart";
  const names = ["analytics", "applications", "cart", "generate", "inventory", "model", "orders"];
  return {
    text: readFileSync(join(ROOT, dir, "excerpt.ts"), "utf8"),
    path: `${dir}/excerpt.ts`,
    files: names.map((n) => ({ path: `${dir}/${n}.ts`, text: readFileSync(join(ROOT, dir, `${n}.ts`), "utf8") })),
  };
}

describe("a module with its example's files", () => {
  test("compiles each file to CommonJS, the cart's asker into a machine, with no problem", () => {
    const compiled = compiler.compile(shoppingCart());
    expect(compiled.problems).toEqual([]);
    expect(Object.keys(compiled.modules).sort()).toEqual(["analytics", "applications", "cart", "excerpt", "generate", "inventory", "model", "orders"].map((n) => `examples/shopping-cart/${n}.js`));
    expect(compiled.path).toBe("examples/shopping-cart/excerpt.js");
    expect(compiled.code).toBe(compiled.modules[compiled.path]);
    expect(compiled.modules["examples/shopping-cart/excerpt.js"]).toContain('require("./applications.js")');
    expect(compiled.machines).toBeGreaterThan(0);
  });

  test("an import of a file the page does not have is a compile error at its line", () => {
    const source = { ...shoppingCart(), text: `import { nothing } from "./missing.js";\n${shoppingCart().text}` };
    const compiled = compiler.compile(source);
    expect(compiled.code).toBeUndefined();
    expect(compiled.problems).toEqual([expect.objectContaining({ line: 1, source: "typescript", message: expect.stringContaining("'./missing.js'") })]);
  });
});

test("a one-file module after one with files: the files are gone from the program", () => {
  compiler.compile(shoppingCart());
  const compiled = compiler.compile({ text: `import { cartApp } from "./examples/shopping-cart/cart.js";\nexport default cartApp;\n` });
  expect(compiled.problems).toEqual([expect.objectContaining({ line: 1, message: expect.stringContaining("Cannot find module './examples/shopping-cart/cart.js'") })]);
});
