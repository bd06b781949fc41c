/**
 * The error a host throws for a module that does not compile (docs/compiler.md, "Hosts"): the
 * Node hook fails the import with it, the Vite plugin the module's transform, and
 * `bundleDeployment` (esbuild.ts) the bundle. Programs tell it by its `code`, never by its text,
 * and read the lines from `diagnostics`.
 *
 * The Node hook runs on a thread of its own (Node 20), so the error reaches the importing
 * thread serialized: there it is a plain `Error` (not of any class of ours) with its `message`,
 * `stack`, `name` and every own property whose value is data, while functions are dropped. So
 * the error's whole contract is three own data properties, which survive that trip.
 */

/** The `code` of a {@link CompileFailure}. */
export const COMPILE_FAILURE = "ERR_PORTALS_COMPILE";

/** A module that does not compile. */
export interface CompileFailure extends Error {
  readonly code: typeof COMPILE_FAILURE;
  /** The module's file. */
  readonly file: string;
  /** One `file:line:column - message` line per problem: syntax errors first, then the compiler's. */
  readonly diagnostics: readonly string[];
}

/** The error for `file`, whose message is a header line followed by the diagnostics, one a line. */
export function compileFailure(file: string, diagnostics: readonly string[]): CompileFailure {
  const error = new Error(`portals-ts: cannot compile ${file}:\n${diagnostics.join("\n")}`);
  return Object.assign(error, { code: COMPILE_FAILURE, file, diagnostics: [...diagnostics] } as const);
}
