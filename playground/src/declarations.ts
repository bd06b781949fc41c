/**
 * The declaration files the in-browser compiler reads, bundled as text: TypeScript's ES2022
 * library (the files `lib.es2022.d.ts` references), the `.d.ts` files of `portals-ts` as
 * `npm run build` wrote them (the Node-only parts of the package are left out: a playground
 * module cannot use them) and those of pure-rand (the seeded generators examples draw from).
 */
import type { Declarations } from "./compile.js";

const libs = import.meta.glob<string>(["../../node_modules/typescript/lib/lib.es5.d.ts", "../../node_modules/typescript/lib/lib.es20*.d.ts", "../../node_modules/typescript/lib/lib.decorators*.d.ts", "!**/*.full.d.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
});
const portals = import.meta.glob<string>(["../../dist/runtime/**/*.d.ts", "!**/cli/**", "!**/server/**", "!**/cluster/**"], {
  query: "?raw",
  import: "default",
  eager: true,
});

const pureRand = import.meta.glob<string>(["../../node_modules/pure-rand/lib/**/*.d.ts", "!**/esm/**"], { query: "?raw", import: "default", eager: true });

/** The files by name: libraries by file name, the packages' by path under `dist/runtime/` and `lib/`. */
export function declarations(): Declarations {
  const strip = (files: Record<string, string>, prefix: string): Record<string, string> =>
    Object.fromEntries(Object.entries(files).map(([path, text]) => [path.slice(path.indexOf(prefix) + prefix.length), text]));
  return { libs: strip(libs, "typescript/lib/"), portals: strip(portals, "dist/runtime/"), pureRand: strip(pureRand, "pure-rand/lib/") };
}
