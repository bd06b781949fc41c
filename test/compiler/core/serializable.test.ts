/**
 * The serializability check (docs/compiler.md, "Checks" and "The data policy"): data classes
 * registered with `app.dataClass(...)`, built-in errors and typed arrays from the shared policy
 * (`runtime/core/data.ts`), and what the shared liveness analysis makes the check see. Syntax
 * only through `transpile` (as the Vite plugin and the Node hook), type-aware through a small
 * in-memory program (as tspc).
 */
import { resolve } from "node:path";
import * as ts from "typescript";
import { describe, expect, test } from "vitest";
import { createTransformer } from "../../../compiler/core/transform.js";
import { formatDiagnostic, transpile } from "../../../compiler/hosts/transpile.js";

/** Compiles `source` as `/project/src/app.ts` without a type checker; returns the error lines. */
function errors(source: string): string[] {
  return [...transpile(ts, source, "/project/src/app.ts", "/project").errors];
}

/** The message for a local holding an instance of `cls`, used after the await on `line`. */
function notData(name: string, cls: string, line: number): string {
  const what = `an instance of class ${cls}`;
  return (
    `portals: local \`${name}\` holds ${what} and is used after the await on line ${line}; ${what} is not data and cannot be kept in a suspended operator. ` +
    "Create it after the await, or register the class with app.dataClass({ name, type, encode, decode }) (an error class can instead be declared in this module). " +
    "Only data can live across an await: primitives, arrays, plain objects, Map, Set, Date, errors and registered classes (docs/snapshots.md, \"What is data\")."
  );
}

const header = `import { Tasks } from "portals-ts";\ndeclare const p: any, app: any;\n`;
const money = `class Money {\n  constructor(readonly cents: number) {}\n}\n`;
const registration = `app.dataClass({ name: "shop.Money", type: Money, encode: (m: Money) => m.cents, decode: (c: number) => new Money(c) });\n`;
const operator = `export default Tasks.asker(p, async (x: number, ctx: any) => {\n  const price = new Money(x);\n  await p.request(x);\n  ctx.emit(price.cents);\n});\n`;

describe("without a type checker", () => {
  test("an instance of a class registered in the same file is data", () => {
    expect(errors(header + money + registration + operator)).toEqual([]);
  });

  test("an unregistered class is reported as before", () => {
    expect(errors(header + money + operator)).toEqual([`/project/src/app.ts:7:9 - ${notData("price", "Money", 8)}`]);
  });

  test("a registration in another file is not seen (one file at a time)", () => {
    const imported = `import { Money } from "./money.js";\n`;
    expect(errors(header + imported + operator)).toEqual([`/project/src/app.ts:5:9 - ${notData("price", "Money", 6)}`]);
  });

  test.each(["TypeError", "RangeError", "AggregateError", "Uint8ClampedArray"])("a %s is data (the codec keeps it)", (cls) => {
    const source = `${header}export default Tasks.asker(p, async (x: number, ctx: any) => {\n  const kept = new ${cls}(x as any);\n  await p.request(x);\n  ctx.emit(kept);\n});\n`;
    expect(errors(source)).toEqual([]);
  });

  test("a WeakRef is not data, in the words of the policy", () => {
    const source = `${header}export default Tasks.asker(p, async (x: object, ctx: any) => {\n  const ref = new WeakRef(x);\n  await p.request(x);\n  ctx.emit(ref.deref());\n});\n`;
    expect(errors(source)).toEqual([
      "/project/src/app.ts:4:9 - portals: local `ref` holds a WeakRef and is used after the await on line 5; a WeakRef is not data and cannot be kept in a suspended operator. " +
        "Create it after the await instead. Only data can live across an await: primitives, arrays, plain objects, Map, Set, Date, errors and registered classes (docs/snapshots.md, \"What is data\").",
    ]);
  });
});

describe("what the frame holds at the await (the shared liveness)", () => {
  test("a local read by the awaited expression is still in the frame when the operator suspends", () => {
    const source = `${header}export default Tasks.asker(p, async (x: number, ctx: any) => {\n  const f = () => x;\n  await p.request(f());\n  ctx.emit(x);\n});\n`;
    expect(errors(source)).toEqual([
      "/project/src/app.ts:4:9 - portals: local `f` holds a function and is read by the await on line 5; a function is not data and cannot be kept in a suspended operator. " +
        "Compute what the await needs from it before the await instead. Only data can live across an await: primitives, arrays, plain objects, Map, Set, Date, errors and registered classes (docs/snapshots.md, \"What is data\").",
    ]);
  });

  test("a local used in an outer loop is kept across the await of an inner one", () => {
    const source = `${header}export default Tasks.asker(p, async (xs: number[][], ctx: any) => {\n  const f = () => 1;\n  for (const x of xs) {\n    ctx.emit(f());\n    for (const y of x) await p.request(y);\n  }\n});\n`;
    expect(errors(source)).toHaveLength(1);
    expect(errors(source)[0]).toMatch(/^\/project\/src\/app\.ts:4:9 - portals: local `f` holds a function and is used after the await on line 7;/);
  });

  test("a function assigned after every await it could cross is fine", () => {
    const source = `${header}export default Tasks.asker(p, async (xs: number[], ctx: any) => {\n  let f: any = 1;\n  for (const x of xs) {\n    ctx.emit(f);\n    await p.request(x);\n  }\n  f = () => 0;\n  ctx.emit(f());\n});\n`;
    expect(errors(source)).toEqual([]);
  });
});

/** A program over `files` (in memory, with the default library from disk), compiling `main`. */
function typeAware(files: Record<string, string>, main: string, withProgram: boolean): string[] {
  // `portals-ts` is this repository's runtime, so the checker sees portals-ts's own declarations.
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    paths: { "portals-ts": [resolve(import.meta.dirname, "../../../runtime/index.ts")] },
  };
  const memory = new Map(Object.entries(files));
  const host = ts.createCompilerHost(options);
  const disk = { getSourceFile: host.getSourceFile, fileExists: host.fileExists, readFile: host.readFile, directoryExists: host.directoryExists };
  host.getSourceFile = (name, language, ...rest) => {
    const text = memory.get(name);
    return text === undefined ? disk.getSourceFile(name, language, ...rest) : ts.createSourceFile(name, text, language, true);
  };
  host.fileExists = (name) => memory.has(name) || disk.fileExists(name);
  host.readFile = (name) => memory.get(name) ?? disk.readFile(name);
  // Module resolution looks for the directory before the file.
  host.directoryExists = (dir) => [...memory.keys()].some((name) => name.startsWith(`${dir}/`)) || (disk.directoryExists?.(dir) ?? false);
  host.writeFile = () => {};
  const program = ts.createProgram([...memory.keys()], options, host);
  const found: string[] = [];
  const transformer = createTransformer(ts, {
    root: "/project",
    checker: program.getTypeChecker(),
    ...(withProgram ? { program } : {}),
    onFile: (_file, result) => found.push(...result.diagnostics.map((d) => formatDiagnostic(ts, d))),
  });
  program.emit(program.getSourceFile(main), undefined, undefined, false, { before: [transformer] });
  return found;
}

describe("with a type checker (a program in memory)", () => {
  const moneyModule = `export ${money}export class Euro extends Money {}\nexport function price(cents: number): Money {\n  return new Money(cents);\n}\n`;
  const registerModule = `import { Money } from "./money.js";\ndeclare const app: any;\n${registration}`;
  // The instance comes from a function: only its type says what it is.
  const appModule = (make: string) =>
    `import { Money, Euro, price } from "./money.js";\nimport { Tasks } from "portals-ts"; declare const p: any;\nexport default Tasks.asker(p, async (x: number, ctx: any) => {\n  const kept = ${make};\n  await p.request(x);\n  ctx.emit(kept);\n});\n`;

  test("a class registered in any file of the program is data; a subclass of it is not (the codec matches the exact class)", () => {
    const files = { "/project/src/money.ts": moneyModule, "/project/src/register.ts": registerModule, "/project/src/app.ts": appModule("price(x)") };
    expect(typeAware(files, "/project/src/app.ts", true)).toEqual([]);
    expect(typeAware({ ...files, "/project/src/app.ts": appModule("new Money(x)") }, "/project/src/app.ts", true)).toEqual([]);
    expect(typeAware({ ...files, "/project/src/app.ts": appModule("new Euro(x)") }, "/project/src/app.ts", true)).toEqual([`/project/src/app.ts:4:9 - ${notData("kept", "Euro", 5)}`]);
  });

  test("an unregistered class is reported with the same message as without a checker", () => {
    const files = { "/project/src/money.ts": moneyModule, "/project/src/app.ts": appModule("price(x)") };
    expect(typeAware(files, "/project/src/app.ts", true)).toEqual([`/project/src/app.ts:4:9 - ${notData("kept", "Money", 5)}`]);
  });

  test("with only the checker, registrations in the file being compiled count", () => {
    const same = `${header}${money}${registration}function make(c: number): Money {\n  return new Money(c);\n}\n${operator.replace("new Money(x)", "make(x)")}`;
    expect(typeAware({ "/project/src/app.ts": same }, "/project/src/app.ts", false)).toEqual([]);
    const files = { "/project/src/money.ts": moneyModule, "/project/src/register.ts": registerModule, "/project/src/app.ts": appModule("price(x)") };
    expect(typeAware(files, "/project/src/app.ts", false)).toEqual([`/project/src/app.ts:4:9 - ${notData("kept", "Money", 5)}`]);
  });

  test("an instance of an Error subclass of this module is data (its machines list it; a restore gives it back as itself)", () => {
    const source = `import { Tasks } from "portals-ts"; declare const p: any;\nclass Declined extends TypeError {}\nfunction decline(): Declined {\n  return new Declined("no");\n}\nexport default Tasks.asker(p, async (x: number, ctx: any) => {\n  const error = decline();\n  await p.request(x);\n  ctx.emit(error.message);\n});\n`;
    expect(typeAware({ "/project/src/app.ts": source }, "/project/src/app.ts", false)).toEqual([]);
  });

  test("an Error subclass of another module is not data unless registered (a restore would give back its built-in base); a built-in error is", () => {
    const errorsModule = `export class Declined extends TypeError {}\n`;
    const app = (make: string) =>
      `import { Declined } from "./errors.js";\nimport { Tasks } from "portals-ts"; declare const p: any;\nexport default Tasks.asker(p, async (x: number, ctx: any) => {\n  const kept = ${make};\n  await p.request(x);\n  ctx.emit(kept.message);\n});\n`;
    const files = { "/project/src/errors.ts": errorsModule, "/project/src/app.ts": app('new Declined("no")') };
    expect(typeAware(files, "/project/src/app.ts", true)).toEqual([`/project/src/app.ts:4:9 - ${notData("kept", "Declined", 5)}`]);
    expect(typeAware({ ...files, "/project/src/app.ts": app('new RangeError("no")') }, "/project/src/app.ts", true)).toEqual([]);
  });
});
