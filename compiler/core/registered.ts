/**
 * Classes an application registers as data (docs/compiler.md, "The data policy"):
 *
 *   app.dataClass({ name: "shop.Money", type: Money, encode: (m) => ..., decode: (d) => ... })
 *
 * The snapshot codec stores their instances through `encode`/`decode`, so the serializability
 * check must accept them too. A registration is recognised by its shape alone: a call of a
 * method or function named `dataClass` whose first argument is an object literal with a `type`
 * property.
 *
 * With a type checker the registered classes are symbols, found in every source file of the
 * program (once per program). The codec recognises a registered class by its exact prototype, so
 * a subclass is data only if it is registered itself. Errors are data when a restore gives them
 * back exactly (docs/snapshots.md, "What is data"): the built-in error classes, and the error
 * classes declared at the top level of the module being compiled (its machines list them as
 * `errorClasses`); an error class of another module comes back as its built-in base, so it is
 * data only when registered. Without a checker (the Vite plugin and the Node hook see one file
 * at a time) a class is registered when the same file registers an expression with the same
 * text, a module error class is one whose `extends` chain in the file reaches a built-in error,
 * and only `new C(...)` is recognised.
 */
import type * as ts from "typescript";
import { classVerdict } from "../../runtime/core/data.js";

/** The `type` expressions of the data-class registrations in `file`. */
export function registrations(t: typeof ts, file: ts.SourceFile): ts.Expression[] {
  if (!file.text.includes("dataClass")) return [];
  const found: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (t.isCallExpression(node)) {
      const callee = node.expression;
      const name = t.isIdentifier(callee) ? callee.text : t.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
      const spec = node.arguments[0];
      if (name === "dataClass" && spec !== undefined && t.isObjectLiteralExpression(spec)) {
        for (const p of spec.properties) {
          if (p.name === undefined || !t.isIdentifier(p.name) || p.name.text !== "type") continue;
          if (t.isPropertyAssignment(p)) found.push(p.initializer);
          else if (t.isShorthandPropertyAssignment(p)) found.push(p.name);
        }
      }
    }
    t.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Which classes are data beyond the built-in ones, as the compiler sees them. */
export interface DataClasses {
  /** True when `new callee(...)` makes an instance of a registered class. */
  constructs(callee: ts.Expression): boolean;
  /** True when a value of the class instance type `type` is data (registered, or an error). */
  instanceOf(type: ts.Type): boolean;
}

/** The built-in error classes (the codec restores each as itself). */
const BUILTIN_ERRORS = new Set(["Error", "TypeError", "RangeError", "ReferenceError", "SyntaxError", "EvalError", "URIError", "AggregateError"]);

/**
 * Names of the classes declared at the top level of `file` whose `extends` chain, through
 * other such classes, reaches a built-in error class: those its machines list and a restore
 * gives back as themselves.
 */
export function moduleErrorClasses(t: typeof ts, file: ts.SourceFile): Set<string> {
  const bases = new Map<string, string>();
  for (const [name, base] of moduleSubclasses(t, file)) if (t.isIdentifier(base)) bases.set(name, base.text);
  const errors = new Set<string>();
  for (const name of bases.keys()) {
    const seen = new Set<string>();
    for (let n: string | undefined = name; n !== undefined && !seen.has(n); n = bases.get(n)) {
      seen.add(n);
      if (BUILTIN_ERRORS.has(n) && !bases.has(n)) {
        errors.add(name);
        break;
      }
    }
  }
  return errors;
}

/**
 * The classes declared at the top level of `file` with an `extends` clause (not `declare`d), by
 * name, with the expression they extend: what the file's machines list as `errorClasses` (the
 * runtime keeps those that extend `Error`, so no type checker is needed here).
 */
export function moduleSubclasses(t: typeof ts, file: ts.SourceFile): Map<string, ts.Expression> {
  const classes = new Map<string, ts.Expression>();
  for (const s of file.statements) {
    if (!t.isClassDeclaration(s) || s.name === undefined || (s.modifiers ?? []).some((m) => m.kind === t.SyntaxKind.DeclareKeyword)) continue;
    const base = s.heritageClauses?.find((h) => h.token === t.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
    if (base !== undefined) classes.set(s.name.text, base);
  }
  return classes;
}

/** Registrations of one file, by the text of their `type` expression (no type checker). */
export function fileDataClasses(t: typeof ts, file: ts.SourceFile): DataClasses {
  const names = new Set(registrations(t, file).map((e) => e.getText(file)));
  const errors = moduleErrorClasses(t, file);
  return {
    constructs: (callee) => names.has(callee.getText()) || (t.isIdentifier(callee) && errors.has(callee.text)),
    instanceOf: () => false,
  };
}

const byProgram = new WeakMap<ts.Program, ReadonlySet<ts.Symbol>>();

/**
 * Registered classes as symbols: those registered anywhere in `program` (scanned once per
 * program), or without a program, in `file`.
 */
export function checkedDataClasses(t: typeof ts, checker: ts.TypeChecker, file: ts.SourceFile, program: ts.Program | undefined): DataClasses {
  let registered: ReadonlySet<ts.Symbol> | undefined;
  const symbols = (): ReadonlySet<ts.Symbol> => {
    if (registered !== undefined) return registered;
    if (program !== undefined) registered = byProgram.get(program);
    if (registered === undefined) {
      const files = program === undefined ? [file] : program.getSourceFiles().filter((f) => !f.isDeclarationFile);
      registered = new Set(files.flatMap((f) => registrations(t, f)).flatMap((e) => symbolOf(t, checker, e) ?? []));
      if (program !== undefined) byProgram.set(program, registered);
    }
    return registered;
  };
  const isBuiltinError = (type: ts.Type): boolean => {
    const symbol = type.getSymbol();
    return symbol !== undefined && BUILTIN_ERRORS.has(symbol.getName()) && (symbol.declarations ?? []).every((d) => d.getSourceFile().isDeclarationFile);
  };
  // A class of this module whose bases reach a built-in error, through classes of this module.
  const isError = (type: ts.Type): boolean => {
    if (isBuiltinError(type)) return true;
    const declarations = type.getSymbol()?.declarations ?? [];
    if (!declarations.some((d) => t.isClassDeclaration(d) && d.parent === file)) return false;
    const target = (type as ts.TypeReference).target ?? type;
    return target.isClassOrInterface() && checker.getBaseTypes(target).some(isError);
  };
  const instanceOf = (type: ts.Type): boolean => {
    const symbol = type.getSymbol();
    if (symbol !== undefined && (symbols().has(symbol) || classVerdict(symbol.getName()) === "data")) return true;
    return isError(type);
  };
  return {
    constructs: (callee) => {
      const symbol = symbolOf(t, checker, callee);
      return symbol !== undefined && instanceOf(checker.getDeclaredTypeOfSymbol(symbol));
    },
    instanceOf,
  };
}

/** The symbol an expression names, through import aliases. */
function symbolOf(t: typeof ts, checker: ts.TypeChecker, e: ts.Expression): ts.Symbol | undefined {
  const symbol = checker.getSymbolAtLocation(e);
  if (symbol === undefined) return undefined;
  return symbol.flags & t.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}
