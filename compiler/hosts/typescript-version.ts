/**
 * The TypeScript versions the compiler works with. Every host gets its `typescript` from the
 * user's project, and another major version fails deep inside TypeScript with messages such as
 * `Cannot read properties of undefined (reading 'LineFeed')` (TypeScript 7 has no transformer
 * API), which say nothing about the cause. So each host checks the version first and says what
 * to install.
 */

/** The range of TypeScript the compiler supports, as in the package's `peerDependencies`. */
const SUPPORTED = { major: 5, minor: 9 } as const;

/** The command that installs what the hosts need, quoted in the error. */
const FIX = "npm install --save-dev typescript@~5.9 ts-patch@~3.3";

/**
 * Throws unless `version` (TypeScript's `ts.version`, or the `version` of its package.json) is
 * in the supported range, ~5.9.
 *
 * @param version the version found, e.g. `"5.9.3"` or `"7.0.2"`
 * @param where where it was found (a directory or file), named in the message when given
 * @throws Error naming the version found and the command that installs a supported one
 */
export function checkTypeScriptVersion(version: unknown, where?: string): void {
  const match = typeof version === "string" ? /^(\d+)\.(\d+)\./.exec(version) : null;
  if (match !== null && Number(match[1]) === SUPPORTED.major && Number(match[2]) === SUPPORTED.minor) return;
  const found = typeof version === "string" ? `TypeScript ${version}` : "a typescript package without a version";
  throw new Error(
    `portals-ts needs TypeScript ~${SUPPORTED.major}.${SUPPORTED.minor}, found ${found}${where === undefined ? "" : ` (in ${where})`}; install a supported one: ${FIX}`,
  );
}

/**
 * The user's `typescript`, loaded with `load` (a `require` from the project), checked as
 * {@link checkTypeScriptVersion} does.
 *
 * @param from where it is looked up from (a file or directory), named in the message when none is found
 * @throws Error naming the fix when none is installed, or when it is another version
 */
export function requireTypeScript<T extends { version: string }>(load: (id: string) => unknown, from: string): T {
  let typescript: T;
  try {
    typescript = load("typescript") as T;
  } catch (thrown) {
    if ((thrown as { code?: unknown } | null)?.code !== "MODULE_NOT_FOUND") throw thrown;
    throw new Error(`portals-ts needs TypeScript ~${SUPPORTED.major}.${SUPPORTED.minor}, and none is installed where ${from} can find it; install it: ${FIX}`);
  }
  checkTypeScriptVersion(typescript.version);
  return typescript;
}
