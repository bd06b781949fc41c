/**
 * Machine identity (docs/compiler.md, "Machine identity"): ids name a function by its place in
 * the program (relative path and name), never its line and column, so edits elsewhere in the
 * file keep every id and version, and every host computes the same id.
 */
import fc from "fast-check";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix, win32 } from "node:path";
import * as ts from "typescript";
import { afterAll, describe, expect, test } from "vitest";
import { codeVersion, modulePath } from "../../../compiler/core/identity.js";
import { COMPILER_VERSION } from "../../../compiler/core/transform.js";
import { transpile } from "../../../compiler/hosts/transpile.js";

const header = `import { Tasks, type ApplicationBuilder, type PortalRef } from "portals-ts";\ndeclare const app: ApplicationBuilder;\ndeclare const inventory: PortalRef<string, number>;\n`;

/** The `id: "…"` and `version: "…"` pairs of the compiled `source`, in emitted order. */
function machines(source: string, fileName = "/project/src/app.ts", root: string | null = "/project"): string[] {
  const out = transpile(ts, source, fileName, root ?? undefined);
  expect(out.errors).toEqual([]);
  return [...out.code.matchAll(/id: "([^"]+)",\s*version: "([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
}

const ids = (source: string): string[] => machines(source).map((m) => m.split(" ")[0]!);

describe("names from the program", () => {
  test("a helper and an operator passed by name are named by their function", () => {
    const source = `${header}async function priceOf(item: string) { return await inventory.request(item); }\nasync function reserve(item: string, ctx: any) { ctx.emit(await priceOf(item)); }\nexport const t = Tasks.asker(inventory, reserve);\n`;
    expect(ids(source)).toEqual(["src/app.ts#priceOf", "src/app.ts#reserve"]);
  });

  test("a task held in a variable is named by the variable, through .with… calls; export default is `default`", () => {
    const source = `${header}export const addToCart = Tasks.asker(inventory, async (x: string, ctx) => { ctx.emit(await inventory.request(x)); }).withOnError("skip");\nexport default Tasks.asker(inventory, async (x: string, ctx) => { ctx.emit(await inventory.request(x)); });\n`;
    expect(ids(source)).toEqual(["src/app.ts#addToCart", "src/app.ts#default"]);
  });

  test("operators of a workflow are named <workflow>/<method>#n, or <workflow>/<name> with withName", () => {
    const source =
      header +
      [
        'const flow = app.workflows("cart").source(s);',
        "flow",
        "  .asker(inventory, async (x: string, ctx: any) => { ctx.emit(await inventory.request(x)); })",
        "  .asker(inventory, async (x: string, ctx: any) => { ctx.emit(await inventory.request(x)); })",
        '  .asker(inventory, async (x: string, ctx: any) => { ctx.emit(await inventory.request(x)); }).withName("reserve")',
        "  .sink();",
        'app.workflows("orders").task(Tasks.asker(inventory, async (x: string, ctx: any) => { ctx.emit(await inventory.request(x)); }));',
        "",
      ].join("\n");
    expect(ids(source)).toEqual(["src/app.ts#cart/asker#1", "src/app.ts#cart/asker#2", "src/app.ts#cart/reserve", "src/app.ts#orders/asker#1"]);
  });

  test("a replier's two callbacks are :onNext and :onAsk; clashing names get ~2", () => {
    const source =
      header +
      [
        'app.workflows("stock").source(s).askerReplier(inventory, inventory, async (e: any, ctx: any) => { ctx.emit(await inventory.request(e)); }, async (item: string, ctx: any) => { ctx.reply(await inventory.request(item)); });',
        'app.workflows("a").source(s).asker(inventory, async (x: string, ctx: any) => { ctx.emit(await inventory.request(x)); }).withName("same");',
        'app.workflows("a").source(s).asker(inventory, async (x: string, ctx: any) => { ctx.emit(await inventory.request(x)); }).withName("same");',
        "",
      ].join("\n");
    expect(ids(source)).toEqual(["src/app.ts#stock/askerReplier#1:onNext", "src/app.ts#stock/askerReplier#1:onAsk", "src/app.ts#a/same", "src/app.ts#a/same~2"]);
  });

  test("an operator with no name of its own is <method>#n in source order", () => {
    const source = `${header}console.log([Tasks.asker(inventory, async (x: string, ctx) => { ctx.emit(await inventory.request(x)); }), Tasks.asker(inventory, async (x: string, ctx) => { ctx.emit(await inventory.request(x)); })]);\n`;
    expect(ids(source)).toEqual(["src/app.ts#asker#1", "src/app.ts#asker#2"]);
  });
});

describe("edits elsewhere keep ids and versions", () => {
  const operator = `export const lookup = Tasks.asker(inventory, async (x: string, ctx) => {\n  const n = await priceOf(x);\n  ctx.emit(n);\n});\n`;
  const helper = `async function priceOf(item: string) { return await inventory.request(item); }\n`;

  test("code inserted above an operator and a helper changes neither id nor version", () => {
    const before = machines(header + helper + operator);
    const after = machines(`${header}// a comment\nconst unrelated = [1, 2, 3].map((n) => n * 2);\nexport function other() { return unrelated; }\n\n${helper}\n\n${operator}`);
    expect(after).toEqual(before);
    expect(before).toHaveLength(2);
  });

  test("editing the operator keeps its id and changes its version", () => {
    const [, before] = machines(header + helper + operator);
    const [, after] = machines(header + helper + operator.replace("ctx.emit(n)", "ctx.emit(n + 1)"));
    expect(after!.split(" ")[0]).toBe(before!.split(" ")[0]);
    expect(after!.split(" ")[1]).not.toBe(before!.split(" ")[1]);
  });
});

describe("the root ids are relative to", () => {
  const dir = mkdtempSync(join(tmpdir(), "portals-identity-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("by default, the file's package (nearest package.json), whatever the working directory", () => {
    mkdirSync(join(dir, "shop/src/flows"), { recursive: true });
    writeFileSync(join(dir, "shop/package.json"), "{}");
    const source = `${header}export const lookup = Tasks.asker(inventory, async (x: string, ctx) => { ctx.emit(await inventory.request(x)); });\n`;
    expect(machines(source, join(dir, "shop/src/flows/cart.ts"), null)).toEqual(machines(source, "/project/src/flows/cart.ts", "/project"));
    expect(machines(source, join(dir, "shop/src/flows/cart.ts"), null)[0]).toMatch(/^src\/flows\/cart\.ts#lookup /);
  });
});

describe("computed without Node (the compiler core runs in browsers)", () => {
  test("a version is what node:crypto's SHA-256 made of it before: snapshots hold versions", () => {
    // Any text, lone surrogates included (both write them as U+FFFD in UTF-8).
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary", maxLength: 3 }), (text, compilerVersion) => {
        const node = createHash("sha256").update(compilerVersion).update("\0").update(text).digest("hex").slice(0, 12);
        expect(codeVersion(compilerVersion, text)).toBe(node);
      }),
    );
    expect(codeVersion(COMPILER_VERSION, "async (x, ctx) => ctx.emit(await p.request(x))")).toBe(
      createHash("sha256").update(COMPILER_VERSION).update("\0").update("async (x, ctx) => ctx.emit(await p.request(x))").digest("hex").slice(0, 12),
    );
  });

  test("a module's path is path.relative's on POSIX, and on Windows with / between segments", () => {
    const segment = fc.constantFrom("a", "b", "src", "..", ".", "app.ts", "x y", "ü");
    const absolute = (sep: string, start: string) => fc.array(segment, { maxLength: 6 }).map((s) => start + s.join(sep));
    fc.assert(
      fc.property(absolute("/", "/"), absolute("/", "/"), (root, file) => {
        expect(modulePath(root, file)).toBe(posix.relative(root, file));
      }),
    );
    fc.assert(
      fc.property(absolute("\\", "C:\\"), absolute("\\", "C:\\"), (root, file) => {
        expect(modulePath(root, file)).toBe(win32.relative(root, file).split("\\").join("/"));
      }),
    );
    expect(modulePath("/project", "/project/src/app.ts")).toBe("src/app.ts");
    expect(modulePath("C:/project", "C:/project/src/app.ts")).toBe("src/app.ts");
  });
});
