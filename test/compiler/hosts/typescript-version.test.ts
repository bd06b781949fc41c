/** The TypeScript version check of the compiler's hosts: ~5.9 passes, anything else names the version and the fix. */
import * as ts from "typescript";
import { expect, test } from "vitest";
import { checkTypeScriptVersion, requireTypeScript } from "../../../compiler/hosts/typescript-version.js";

const fix = "install a supported one: npm install --save-dev typescript@~5.9 ts-patch@~3.3";

test("the TypeScript of this project, and any 5.9, pass", () => {
  expect(() => checkTypeScriptVersion(ts.version)).not.toThrow();
  for (const version of ["5.9.0", "5.9.3", "5.9.4-beta"]) expect(() => checkTypeScriptVersion(version)).not.toThrow();
});

test("another version is refused with the version found, where, and the command that fixes it", () => {
  expect(() => checkTypeScriptVersion("7.0.2", "/p/node_modules/typescript")).toThrow(
    new Error(`portals-ts needs TypeScript ~5.9, found TypeScript 7.0.2 (in /p/node_modules/typescript); ${fix}`),
  );
  for (const version of ["5.8.3", "5.10.0", "6.0.0", "4.9.5"]) {
    expect(() => checkTypeScriptVersion(version)).toThrow(`portals-ts needs TypeScript ~5.9, found TypeScript ${version}; ${fix}`);
  }
  expect(() => checkTypeScriptVersion(undefined)).toThrow(`portals-ts needs TypeScript ~5.9, found a typescript package without a version; ${fix}`);
});

test("a project without typescript is told so, with the command; other load failures pass through", () => {
  const missing = Object.assign(new Error("Cannot find module 'typescript'"), { code: "MODULE_NOT_FOUND" });
  expect(() => requireTypeScript(() => { throw missing; }, "/p/src/app.ts")).toThrow(
    "portals-ts needs TypeScript ~5.9, and none is installed where /p/src/app.ts can find it; install it: npm install --save-dev typescript@~5.9 ts-patch@~3.3",
  );
  const broken = new SyntaxError("Unexpected token");
  expect(() => requireTypeScript(() => { throw broken; }, "/p/src/app.ts")).toThrow(broken);
  expect(requireTypeScript(() => ts, "/p/src/app.ts")).toBe(ts);
  expect(() => requireTypeScript(() => ({ version: "7.0.2" }), "/p/src/app.ts")).toThrow(`found TypeScript 7.0.2; ${fix}`);
});
