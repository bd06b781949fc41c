/**
 * `portals init <dir>`: a new project that uses portals-ts the way the README's "Use it in your
 * project" says: an ES module package (`"type": "module"`; in a CommonJS package every `import`
 * of portals-ts is an error), TypeScript and ts-patch in the versions the compiler supports, a
 * tsconfig with the compiler plugin for `tspc`, a Vitest config with the Vite plugin, and one
 * application with a portal and its test (`create/template/`, shipped with the package).
 *
 *   npx portals-ts init my-app && cd my-app && npm install && npm test && npm start
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "./io.js";

/** The package's own manifest, read for its version and the tool versions it is tested with. */
interface Manifest {
  readonly version: string;
  readonly engines?: { readonly node?: string };
  readonly devDependencies?: Readonly<Record<string, string>>;
}

/** Template files copied as they are (`from` in the template, `to` in the project). */
const COPIED: readonly { readonly from: string; readonly to: string }[] = [
  { from: "src/app.ts", to: "src/app.ts" },
  { from: "test/app.test.ts", to: "test/app.test.ts" },
  { from: "vitest.config.ts", to: "vitest.config.ts" },
  // npm leaves `.gitignore` files out of packages, so the template's is `gitignore`.
  { from: "gitignore", to: ".gitignore" },
];

/**
 * Writes a new project into `directory` (created if missing) and returns the files written,
 * relative to it, in order.
 *
 * @param directory where the project goes: a new or empty directory
 * @throws UsageError when `directory` is a file or a directory that is not empty
 */
export function initProject(directory: string): string[] {
  const dir = resolve(directory);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`cannot create a project in ${directory}: it is a file; give a new or empty directory`);
    const entries = readdirSync(dir).filter((e) => e !== ".git");
    if (entries.length > 0) {
      throw new UsageError(`cannot create a project in ${directory}: it is not empty (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", …" : ""}); give a new or empty directory`);
    }
  }
  const manifest = createRequire(import.meta.url)("portals-ts/package.json") as Manifest;
  const template = templateDirectory();
  const files: [string, string][] = [
    ["package.json", json(packageJson(packageName(dir), manifest))],
    ["tsconfig.json", json(TSCONFIG)],
    ["tsconfig.build.json", json(TSCONFIG_BUILD)],
    ["README.md", readme(basename(dir))],
  ];
  for (const [name, text] of files) write(join(dir, name), text);
  for (const { from, to } of COPIED) {
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    copyFileSync(join(template, from), join(dir, to));
  }
  return [...files.map(([name]) => name), ...COPIED.map((c) => c.to)];
}

/**
 * The template folder: `create/template/` at the package's root, two folders up from this module
 * in the sources (`runtime/cli/`), three in the build (`dist/runtime/cli/`).
 */
function templateDirectory(): string {
  for (const up of ["../../create/template/", "../../../create/template/"]) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(join(dir, "src/app.ts"))) return dir;
  }
  throw new Error("the project template (create/template/) is missing from this installation of portals-ts; reinstall portals-ts");
}

/** A valid npm package name made of the directory's name. */
function packageName(dir: string): string {
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|-+$/g, "");
  return name === "" ? "portals-app" : name.slice(0, 214);
}

/** The new project's package.json: an ES module package, with the versions portals-ts is tested with. */
function packageJson(name: string, manifest: Manifest): object {
  const tool = (pkg: string, fallback: string): string => manifest.devDependencies?.[pkg] ?? fallback;
  return {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    engines: { node: manifest.engines?.node ?? ">=20.19" },
    scripts: {
      build: "tspc -p tsconfig.build.json",
      start: "portals run src/app.ts",
      test: "tsc --noEmit && vitest run",
    },
    dependencies: { "portals-ts": `^${manifest.version}` },
    devDependencies: {
      "@types/node": tool("@types/node", "^20.19.0"),
      "ts-patch": tool("ts-patch", "~3.3.0"),
      typescript: tool("typescript", "~5.9.3"),
      vitest: tool("vitest", "~4.1.0"),
    },
    // npm (11) runs no dependency's install script unless allowed here, and asks about each one
    // not listed. The one portals-ts brings is msgpackr's optional native decoder, which the
    // snapshot codec does without (docs/snapshots.md, "Codec"): denied, so nothing is asked.
    allowScripts: { "msgpackr-extract": false },
  };
}

/** Type checking of everything (`tsc --noEmit`), and the compiler plugin for `tspc`. */
const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2023"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    types: ["node"],
    strict: true,
    // The Vite plugin and the Node hook compile one file at a time.
    isolatedModules: true,
    skipLibCheck: true,
    sourceMap: true,
    outDir: "dist",
    noEmit: true,
    plugins: [{ transform: "portals-ts/compiler" }],
  },
  include: ["src", "test", "vitest.config.ts"],
};

/**
 * The build (`npm run build`, tspc): the application only, into dist/. Nothing is written when
 * the compiler refuses an operator, so dist/ never holds one left uncompiled.
 */
const TSCONFIG_BUILD = {
  extends: "./tsconfig.json",
  compilerOptions: { noEmit: false, noEmitOnError: true, rootDir: "src", outDir: "dist" },
  include: ["src"],
};

function readme(title: string): string {
  return `# ${title}

An application on [portals-ts](https://www.npmjs.com/package/portals-ts): \`src/app.ts\`, a shop
whose \`checkout\` workflow asks the \`stock\` portal for every order.

- \`npm start\`: run it (\`portals run src/app.ts\` compiles it on the fly)
- \`npm test\`: type check, then the tests in \`test/\` (Vitest, with the portals plugin)
- \`npm run build\`: compile to \`dist/\` with \`tspc\`; run the result with \`npx portals run dist/app.js\`
- \`npx portals plan src/app.ts\`: what the application is made of
- \`npx portals run src/app.ts --snapshot-dir snapshots --snapshot-every 10\`, then \`--restore\`:
  snapshots, and continuing from the newest
`;
}

function json(value: object): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/** Writes `text` to `file`, creating its folder. */
function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
