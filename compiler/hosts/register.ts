/**
 * `portals-ts/register`: the Node module hook, so that
 *
 *   node --import portals-ts/register app.ts
 *   node --import tsx --import portals-ts/register app.ts
 *
 * run TypeScript applications with their async operators compiled (docs/compiler.md, "Hosts").
 * It registers `loader.js`, which compiles `.ts`/`.mts` modules outside node_modules with the
 * project's `typescript` and an inline source map (add `--enable-source-maps` for original lines
 * in stack traces). Registered after tsx, it runs first and tsx handles everything else.
 */
import { register } from "node:module";
import { pathToFileURL } from "node:url";

register("./loader.js", pathToFileURL(__filename));
