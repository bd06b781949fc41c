/**
 * The transformer (docs/compiler.md, "The pipeline"): for each source file, finds the async
 * operator callbacks and helpers (`find.ts`), checks them (`checks.ts`, then `serializable.ts`
 * with the scope and liveness analyses), lowers them (`lower/`) and emits machines (`emit.ts`).
 * It is the one choke point where compile errors become diagnostics (`diagnostics.ts`): a
 * function that fails to compile is left as it was (and its diagnostic reported), so one error
 * never hides the others. Works on TypeScript and JavaScript syntax alone (a type checker, when
 * the host has one, only adds checks); every host (ts-patch, Vite, the Node hook) runs this
 * same function with its own `ts` instance.
 */
import type * as ts from "typescript";
import { Diagnostics, position } from "./diagnostics.js";
import { emitMachine } from "./emit.js";
import { apiView } from "./builders.js";
import { AwaitRules, checkReplies } from "./checks.js";
import { findTargets, helpersThatAsk, operatorCallbacks, type Target } from "./find.js";
import { helperCallees } from "./helper-list.js";
import { codeVersion, machineNames, modulePath } from "./identity.js";
import type { Names } from "./ir.js";
import { Liveness } from "./liveness.js";
import { lowerFunction } from "./lower/index.js";
import { checkedDataClasses, fileDataClasses, moduleSubclasses } from "./registered.js";
import { routeRequests } from "./requests.js";
import { analyzeScopes } from "./scope.js";
import { checkSerializable } from "./serializable.js";

/** Bumped whenever the shape of emitted machines changes (it is part of every code version). */
export const COMPILER_VERSION = "3";

/** Module specifier of the run-time support the emitted code imports. */
export const RUNTIME_MODULE = "portals-ts/machine";

/** Options of {@link createTransformer}. */
export interface TransformOptions {
  /** Absolute directory that machine ids are relative to (default: `rootOf` of each file). */
  readonly root?: string;
  /**
   * The absolute directory machine ids of `fileName` are relative to: its package, the nearest
   * directory with a `package.json` (what every host passes, so ids are the same whichever builds
   * them). One of `root` and `rootOf` is needed: an id must never depend on where the build runs.
   */
  readonly rootOf?: (fileName: string) => string;
  /**
   * The program's type checker, when the host has a whole program (tspc): enables the
   * type-aware checks on top of the syntax-only ones. Default: the checker of `program`.
   */
  readonly checker?: ts.TypeChecker;
  /**
   * The whole program (tspc): data classes registered in any of its source files count as
   * data (without it, only those registered in the file being compiled).
   */
  readonly program?: ts.Program;
  /** Files to leave alone (matched against the file name). */
  readonly exclude?: RegExp;
  /**
   * Receives, for each file, its diagnostics (an empty list when there are no problems) and
   * the number of functions compiled into machines.
   */
  readonly onFile?: (file: ts.SourceFile, result: { readonly diagnostics: readonly ts.Diagnostic[]; readonly machines: number }) => void;
}

/**
 * The `before` transformer factory that compiles async operators in every file it sees.
 *
 * @param t the TypeScript instance of the host (never a second copy)
 * @throws TypeError when the options give neither `root` nor `rootOf`
 */
export function createTransformer(t: typeof ts, options: TransformOptions): ts.TransformerFactory<ts.SourceFile> {
  const root = options.root;
  const rootOf = root !== undefined ? () => root : options.rootOf;
  if (rootOf === undefined) throw new TypeError("createTransformer: give root or rootOf, the directory machine ids are relative to (docs/compiler.md, \"Machine identity\")");
  const checker = options.checker ?? options.program?.getTypeChecker();
  return (context) => (file) => {
    if (options.exclude?.test(file.fileName)) return report(file, [], 0);
    if (!file.text.includes("async") && !file.text.includes(".reply(")) return report(file, [], 0);
    const diagnostics = new Diagnostics();
    const view = apiView(t, file, checker);
    const callbacks = operatorCallbacks(view);
    checkReplies(t, callbacks, diagnostics);
    const targets = findTargets(t, callbacks, file, view);
    if (targets.length === 0) return report(file, diagnostics.toDiagnostics(t, file), 0);
    const names = fileNames(t, file);
    // Helpers that run as frames of a suspended operator: only `await h(...)` may call them there.
    const framed = helpersThatAsk(t, file, view);
    for (const x of targets) if (x.role === "helper" && x.name !== undefined) framed.add(x.name);
    const rules = new AwaitRules(t, file, view, framed);
    const classes = checker ? checkedDataClasses(t, checker, file, options.program) : fileDataClasses(t, file);
    const path = modulePath(rootOf(file.fileName), file.fileName);
    const machineName = machineNames(t, file, targets, callbacks);
    const machines = new Map<ts.Node, ts.Expression>();
    const errorClasses = [...moduleSubclasses(t, file).keys()];
    // Helpers first: an async function that cannot be compiled is simply left alone (it may
    // be an ordinary async utility); an operator that awaits it gets the reason.
    for (const target of targets.filter((x) => x.role === "helper")) {
      const own = new Diagnostics();
      const machine = own.guard(() => compile(target, own), undefined);
      if (own.errors.length > 0) rules.notCompiled.set(target.name!, own.errors[0]!.message);
      else if (machine !== undefined) machines.set(target.fn, machine);
    }
    for (const target of targets.filter((x) => x.role === "operator")) {
      const machine = diagnostics.guard(() => compile(target, diagnostics), undefined);
      if (machine !== undefined) machines.set(target.fn, machine);
    }
    const out = machines.size === 0 ? file : rewriteFile(t, context, file, machines, names);
    return report(out, diagnostics.toDiagnostics(t, file), machines.size);

    function compile(target: Target, diagnostics: Diagnostics): ts.Expression | undefined {
      const fn = target.fn;
      const before = diagnostics.errors.length;
      rules.check(target, diagnostics);
      // A function with an await that cannot suspend is never lowered: its frame does not exist,
      // so what it would keep across that await is not checked.
      if (diagnostics.errors.length > before) return undefined;
      const contextParam = target.role === "operator" ? 1 : -1;
      const scopes = analyzeScopes(t, fn, contextParam);
      const liveness = new Liveness(t, fn, scopes);
      checkSerializable(t, fn, scopes, liveness, diagnostics, classes, checker);
      if (diagnostics.errors.length > before) return undefined;
      const lowered0 = lowerFunction(
        {
          t,
          context,
          names,
          where: (node) => position(file, node).replace(file.fileName, path),
          isMutableOuter: (id) => isMutableOuter(t, fn, id.text),
          classify: (operand) => rules.classify(operand),
        },
        fn,
        scopes,
        liveness,
        contextParam,
      );
      const lowered = routeRequests(t, context, lowered0, lowered0.contextName ?? names.ctx, names.rt);
      const helpers = helperCallees(t, fn, scopes, (operand) => rules.classify(operand));
      const id = `${path}#${machineName.get(fn)}`;
      const version = codeVersion(COMPILER_VERSION, fn.getText(file));
      return emitMachine(t, names, lowered, id, version, helpers, errorClasses);
    }
  };

  function report(file: ts.SourceFile, diagnostics: ts.Diagnostic[], machines: number): ts.SourceFile {
    options.onFile?.(file, { diagnostics, machines });
    return file;
  }
}

/** Replaces operator callbacks by their machines, attaches machines to helpers, adds the import. */
function rewriteFile(
  t: typeof ts,
  context: ts.TransformationContext,
  file: ts.SourceFile,
  machines: ReadonlyMap<ts.Node, ts.Expression>,
  names: Names,
): ts.SourceFile {
  const f = t.factory;
  const attach = (fn: ts.Expression, machine: ts.Expression): ts.Expression =>
    f.createCallExpression(f.createPropertyAccessExpression(f.createIdentifier(names.rt), "attach"), undefined, [fn, machine]);
  const visit = (node: ts.Node): ts.VisitResult<ts.Node> => {
    if (t.isFunctionDeclaration(node) && machines.has(node)) {
      const statement = f.createExpressionStatement(attach(f.createIdentifier(node.name!.text), machines.get(node)!));
      return [t.visitEachChild(node, visit, context), statement];
    }
    if (t.isVariableDeclaration(node) && node.initializer && machines.has(node.initializer) && node.parent.parent.parent === file) {
      const fn = t.visitEachChild(node.initializer, visit, context) as ts.Expression;
      return f.updateVariableDeclaration(node, node.name, node.exclamationToken, node.type, attach(fn, machines.get(node.initializer)!));
    }
    const machine = machines.get(node);
    if (machine !== undefined) return machine;
    return t.visitEachChild(node, visit, context);
  };
  const statements = t.visitNodes(file.statements, visit, t.isStatement);
  const runtimeImport = f.createImportDeclaration(
    undefined,
    f.createImportClause(false, undefined, f.createNamespaceImport(f.createIdentifier(names.rt))),
    f.createStringLiteral(RUNTIME_MODULE),
  );
  return f.updateSourceFile(file, [runtimeImport, ...statements]);
}

/** Generated identifiers for `file`, renamed where the file already uses the name. */
function fileNames(t: typeof ts, file: ts.SourceFile): Names {
  const used = new Set<string>();
  const collect = (node: ts.Node): void => {
    if (t.isIdentifier(node)) used.add(node.text);
    t.forEachChild(node, collect);
  };
  collect(file);
  const pick = (name: string): string => {
    let n = name;
    while (used.has(n)) n += "_";
    used.add(n);
    return n;
  };
  return {
    frame: pick("$f"),
    locals: pick("$L"),
    input: pick("$in"),
    rt: pick("$rt"),
    error: pick("$e"),
    dispatch: pick("$dispatch"),
    completion: pick("$c"),
    args: pick("$args"),
    ctx: pick("$ctx"),
  };
}

/**
 * True when `name`, seen from inside `fn`, is an outer variable declared with `let` or `var`
 * (its value can change while the function is suspended, so reads are spilled).
 */
function isMutableOuter(t: typeof ts, fn: ts.Node, name: string): boolean {
  for (let node: ts.Node | undefined = fn.parent; node !== undefined; node = node.parent) {
    const statements = t.isSourceFile(node) || t.isBlock(node) || t.isModuleBlock(node) ? node.statements : undefined;
    if (statements === undefined) {
      if (t.isFunctionLike(node) && node.parameters.some((p) => t.isIdentifier(p.name) && p.name.text === name)) return false;
      continue;
    }
    for (const s of statements) {
      if (t.isVariableStatement(s)) {
        for (const d of s.declarationList.declarations) {
          if (t.isIdentifier(d.name) && d.name.text === name) return (s.declarationList.flags & t.NodeFlags.Const) === 0;
        }
      }
      if ((t.isFunctionDeclaration(s) || t.isClassDeclaration(s)) && s.name?.text === name) return false;
    }
  }
  return false;
}
