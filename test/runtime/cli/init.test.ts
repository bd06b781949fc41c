/**
 * `portals init <dir>`: the files of a new project, what its package.json and tsconfig say, and
 * the directories it refuses. (That the project installs, tests and runs from the packed
 * package is the end-to-end test, test/e2e/scaffold.e2e.ts.)
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test, vi } from "vitest";
import { portalsIn, ROOT } from "./portals.js";

vi.setConfig({ testTimeout: 60_000 });

const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; devDependencies: Record<string, string> };

/** Every file under `dir`, relative, sorted. */
function files(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(dir, join(prefix, e.name)) : [join(prefix, e.name)]))
    .sort();
}

describe.concurrent("portals init", () => {
  test("writes an ES module project with the compiler plugin, a Vitest config, an application and its test", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "portals-init-"));
    const r = await portalsIn({ cwd }, "init", "My Shop");
    expect(r).toEqual({
      code: 0,
      stdout:
        "created My Shop: package.json, tsconfig.json, tsconfig.build.json, README.md, src/app.ts, test/app.test.ts, vitest.config.ts, .gitignore\n" +
        "next:\n  cd \"My Shop\"\n  npm install\n  npm test\n  npm start\n",
      stderr: "",
    });
    const dir = join(cwd, "My Shop");
    expect(files(dir)).toEqual([".gitignore", "README.md", "package.json", "src/app.ts", "test/app.test.ts", "tsconfig.build.json", "tsconfig.json", "vitest.config.ts"]);
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))).toEqual({
      name: "my-shop",
      version: "0.1.0",
      private: true,
      type: "module",
      engines: { node: ">=20.19" },
      scripts: { build: "tspc -p tsconfig.build.json", start: "portals run src/app.ts", test: "tsc --noEmit && vitest run" },
      dependencies: { "portals-ts": `^${manifest.version}` },
      devDependencies: {
        "@types/node": manifest.devDependencies["@types/node"],
        "ts-patch": manifest.devDependencies["ts-patch"],
        typescript: manifest.devDependencies.typescript,
        vitest: manifest.devDependencies.vitest,
      },
      allowScripts: { "msgpackr-extract": false },
    });
    const tsconfig = JSON.parse(readFileSync(join(dir, "tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown> };
    expect(tsconfig.compilerOptions).toMatchObject({ module: "NodeNext", plugins: [{ transform: "portals-ts/compiler" }] });
    // The build writes nothing when an operator is refused, so dist/ never holds one uncompiled.
    const build = JSON.parse(readFileSync(join(dir, "tsconfig.build.json"), "utf8")) as { compilerOptions: Record<string, unknown> };
    expect(build.compilerOptions).toEqual({ noEmit: false, noEmitOnError: true, rootDir: "src", outDir: "dist" });
    expect(readFileSync(join(dir, "src/app.ts"), "utf8")).toBe(readFileSync(join(ROOT, "create/template/src/app.ts"), "utf8"));
    expect(readFileSync(join(dir, "vitest.config.ts"), "utf8")).toContain('import { portals } from "portals-ts/vite";');
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("node_modules/\ndist/\nsnapshots/\n");
  });

  test("an empty directory (or one with only .git) is fine", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portals-init-"));
    mkdirSync(join(dir, ".git"));
    expect((await portalsIn({ cwd: dir }, "init", ".")).code).toBe(0);
    expect(files(dir)).toContain("src/app.ts");
  });

  test("a directory that is not empty, or a file, is refused: one line, exit 2, nothing written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portals-init-"));
    writeFileSync(join(dir, "notes.txt"), "mine");
    expect(await portalsIn({ cwd: dir }, "init", ".")).toEqual({
      code: 2,
      stdout: "",
      stderr: "portals: error: cannot create a project in .: it is not empty (notes.txt); give a new or empty directory\n",
    });
    expect(await portalsIn({ cwd: dir }, "init", "notes.txt")).toEqual({
      code: 2,
      stdout: "",
      stderr: "portals: error: cannot create a project in notes.txt: it is a file; give a new or empty directory\n",
    });
    expect(files(dir)).toEqual(["notes.txt"]);
  });
});
