/**
 * What in a file is portals-ts's (docs/compiler.md, "Finding targets"): which calls are the
 * builder methods that take operator callbacks, and which values are portal refs. A method named
 * `map` or `asker` is an operator only when it is called on a workflow's flow builder, on
 * `Tasks` or on a task; an array's `map(async …)` or an HTTP client's `request()` are left alone.
 *
 * With a type checker (tspc) a call is an operator when its signature is declared by portals-ts
 * (`runtime/api/workflow-builder` or `runtime/api/tasks`), and a value is a portal ref when its
 * type is portals-ts's `PortalRef`. Without one (the Vite plugin, the Node hook: one file at a
 * time) the file's imports from `portals-ts` are followed through the builder chains they start:
 * `PortalsApp(name, (app) => …)` and `new ApplicationBuilder(…)` give application builders,
 * `app.workflows(…).source(…)` a flow builder and every method of it another, `Tasks.x(…)` and
 * a task's `with…(…)` tasks, `app.portal(…)`, `app.registry.portals.get(…)` and `testPortal(…)`
 * portal refs; variables initialised with such values, variables and parameters annotated with
 * `ApplicationBuilder`, `WorkflowBuilder`, `FlowBuilder`, `Task` or `PortalRef` (also a callback's
 * parameter through the annotation of the file's function it is passed to,
 * `each(define: (app: ApplicationBuilder) => void)`), and calls of the file's functions
 * annotated to return one, carry them.
 */
import type * as ts from "typescript";

/** What a value of the builder API is. */
type Kind = "app" | "workflow" | "flow" | "task" | "tasks" | "portal" | "registry" | "portal-registry" | "portals-app" | "app-class" | "test-portal" | "namespace";

/** Operator methods and the argument positions of their event callbacks and request handlers. */
const CALLBACKS: ReadonlyMap<string, { readonly events: readonly number[]; readonly requests: readonly number[]; readonly portals?: number }> = new Map([
  ["map", { events: [0], requests: [] }],
  ["filter", { events: [0], requests: [] }],
  ["flatMap", { events: [0], requests: [] }],
  ["processor", { events: [0], requests: [] }],
  ["withOnNext", { events: [0], requests: [] }],
  ["asker", { events: [1], requests: [], portals: 0 }],
  ["replier", { events: [1], requests: [2] }],
  ["askerReplier", { events: [2], requests: [3], portals: 0 }],
]);

/** Exports of portals-ts that start builder chains, by the kind of value they are. */
const ROOTS: ReadonlyMap<string, Kind> = new Map([
  ["PortalsApp", "portals-app"],
  ["ApplicationBuilder", "app-class"],
  ["Tasks", "tasks"],
  ["testPortal", "test-portal"],
]);

/** Types of portals-ts that a parameter may be annotated with, by the kind of value they hold. */
const ANNOTATIONS: ReadonlyMap<string, Kind> = new Map([
  ["ApplicationBuilder", "app"],
  ["WorkflowBuilder", "workflow"],
  ["FlowBuilder", "flow"],
  ["Task", "task"],
  ["PortalRef", "portal"],
]);

const PACKAGE = /^portals-ts(\/testing)?$/;
/** portals-ts's declarations of the builders (the package's `.d.ts`, or this repository's sources). */
const API_FILE = /(^|[\\/])runtime[\\/]api[\\/](workflow-builder|tasks|refs)(\.d)?\.ts$/;

/** A function passed to an operator method. */
export interface OperatorCall {
  /** The function, or the module-level declaration of a function passed by name. */
  readonly fn: ts.ArrowFunction | ts.FunctionExpression | ts.FunctionDeclaration;
  /** The builder method it is passed to (`asker`, `map`, …). */
  readonly method: string;
  /** True for a replier's request handler (`onAsk`). */
  readonly serves: boolean;
  /** The declared portals argument of an asker, when there is one. */
  readonly portals: ts.Expression | undefined;
}

/** What the compiler needs to know about the builder API in one file. */
export interface ApiView {
  /**
   * True when the file imports portals-ts. A file that neither imports it nor (with a type
   * checker, through re-exports) calls its operator methods is left exactly as it is.
   */
  readonly usesPortals: boolean;
  /** Every function (async or not) passed to an operator method, in source order. */
  operatorCalls(): OperatorCall[];
  /**
   * True when `receiver` may be a portal ref (its `.request(...)` is a portal request). Without
   * a type checker anything not known to be something else may be one, and with one anything
   * typed `any`; the runtime then calls the `request` method of anything that is not a portal
   * as it is.
   */
  mayBePortal(receiver: ts.Expression): boolean;
}

/**
 * The view of `file` for the compiler: typed with `checker` when the host has a program, else
 * by syntax.
 */
export function apiView(t: typeof ts, file: ts.SourceFile, checker: ts.TypeChecker | undefined): ApiView {
  const usesPortals = file.statements.some((s) => t.isImportDeclaration(s) && t.isStringLiteral(s.moduleSpecifier) && PACKAGE.test(s.moduleSpecifier.text));
  if (checker !== undefined) return checkedView(t, file, checker, usesPortals);
  return syntacticView(t, file, usesPortals);
}

/** The calls of operator methods in `file` (by name; each view decides which are portals-ts's). */
function candidateCalls(t: typeof ts, file: ts.SourceFile, accept: (call: ts.CallExpression, receiver: ts.Expression, method: string) => boolean, resolveFunction: (id: ts.Identifier) => ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression | undefined): OperatorCall[] {
  const found: OperatorCall[] = [];
  // Operators whose value is one of their operands.
  const choosing = new Set([t.SyntaxKind.QuestionQuestionToken, t.SyntaxKind.BarBarToken, t.SyntaxKind.AmpersandAmpersandToken, t.SyntaxKind.CommaToken]);
  /**
   * The functions an argument may evaluate to: itself, a function named by it, and those of
   * each branch when it chooses (`flag ? async (x) => … : async (x) => …`, `f ?? g`), through
   * parentheses and type assertions; the operator gets one of them, so each is its callback.
   */
  const callbacksIn = (arg: ts.Expression): (ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression)[] => {
    if (t.isArrowFunction(arg) || t.isFunctionExpression(arg)) return [arg];
    if (t.isIdentifier(arg)) {
      const fn = resolveFunction(arg);
      return fn === undefined ? [] : [fn];
    }
    if (t.isParenthesizedExpression(arg) || t.isAsExpression(arg) || t.isSatisfiesExpression(arg) || t.isNonNullExpression(arg) || t.isTypeAssertionExpression(arg)) return callbacksIn(arg.expression);
    if (t.isConditionalExpression(arg)) return [...callbacksIn(arg.whenTrue), ...callbacksIn(arg.whenFalse)];
    if (t.isBinaryExpression(arg) && choosing.has(arg.operatorToken.kind)) return [...callbacksIn(arg.left), ...callbacksIn(arg.right)];
    return [];
  };
  const visit = (node: ts.Node): void => {
    if (t.isCallExpression(node) && t.isPropertyAccessExpression(node.expression) && t.isIdentifier(node.expression.name)) {
      const method = node.expression.name.text;
      const positions = CALLBACKS.get(method);
      if (positions !== undefined && accept(node, node.expression.expression, method)) {
        const portals = positions.portals === undefined ? undefined : node.arguments[positions.portals];
        for (const [list, serves] of [[positions.events, false], [positions.requests, true]] as const) {
          for (const i of list) {
            const arg = node.arguments[i];
            if (arg !== undefined) for (const fn of callbacksIn(arg)) found.push({ fn, method, serves, portals });
          }
        }
      }
    }
    t.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** A module-level function declaration or `const f = (async) function/arrow` named by `id`, if any. */
function moduleFunction(t: typeof ts, file: ts.SourceFile, id: ts.Identifier): ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression | undefined {
  for (const s of file.statements) {
    if (t.isFunctionDeclaration(s) && s.name?.text === id.text && s.body) return s;
    if (t.isVariableStatement(s) && s.declarationList.flags & t.NodeFlags.Const) {
      for (const d of s.declarationList.declarations) {
        if (t.isIdentifier(d.name) && d.name.text === id.text && d.initializer && (t.isArrowFunction(d.initializer) || t.isFunctionExpression(d.initializer))) return d.initializer;
      }
    }
  }
  return undefined;
}

function checkedView(t: typeof ts, file: ts.SourceFile, checker: ts.TypeChecker, usesPortals: boolean): ApiView {
  const declaredByApi = (decl: ts.Node | undefined): boolean => decl !== undefined && API_FILE.test(decl.getSourceFile().fileName);
  const isPortalType = (type: ts.Type): boolean => {
    // Untyped (`any`, `unknown`): the checker cannot tell; the runtime decides.
    if (type.flags & (t.TypeFlags.Any | t.TypeFlags.Unknown)) return true;
    if (type.isUnionOrIntersection()) return type.types.some(isPortalType);
    const symbol = type.aliasSymbol ?? type.getSymbol();
    if (symbol?.getName() === "PortalRef" && (symbol.getDeclarations() ?? []).some(declaredByApi)) return true;
    // A type that extends PortalRef (a test double, say) is one too.
    const target = (type as ts.TypeReference).target ?? type;
    return target.isClassOrInterface() && checker.getBaseTypes(target).some(isPortalType);
  };
  return {
    usesPortals,
    operatorCalls: () =>
      candidateCalls(
        t,
        file,
        (call) => declaredByApi(checker.getResolvedSignature(call)?.declaration),
        (id) => {
          const symbol = checker.getSymbolAtLocation(id);
          const decl = (symbol && symbol.flags & t.SymbolFlags.Alias ? undefined : symbol?.valueDeclaration) as ts.Node | undefined;
          if (decl === undefined || decl.getSourceFile() !== file) return undefined;
          if (t.isFunctionDeclaration(decl)) return decl.body ? decl : undefined;
          if (t.isVariableDeclaration(decl) && decl.initializer && (t.isArrowFunction(decl.initializer) || t.isFunctionExpression(decl.initializer))) return decl.initializer;
          return undefined;
        },
      ),
    mayBePortal: (receiver) => isPortalType(checker.getTypeAtLocation(receiver)),
  };
}

function syntacticView(t: typeof ts, file: ts.SourceFile, usesPortals: boolean): ApiView {
  const kinds = new Map<ts.Node, Kind | undefined>();
  const resolver = new Resolver(t, file);

  const kindOf = (e: ts.Expression): Kind | undefined => {
    if (kinds.has(e)) return kinds.get(e);
    kinds.set(e, undefined); // cycles resolve to "unknown"
    const k = computeKind(e);
    kinds.set(e, k);
    return k;
  };

  const computeKind = (e: ts.Expression): Kind | undefined => {
    if (t.isParenthesizedExpression(e) || t.isAsExpression(e) || t.isNonNullExpression(e) || t.isSatisfiesExpression(e)) return kindOf(e.expression);
    if (t.isIdentifier(e)) return kindOfDeclaration(resolver.resolve(e));
    if (t.isPropertyAccessExpression(e)) {
      const object = kindOf(e.expression);
      const name = e.name.text;
      if (object === "namespace") return ROOTS.get(name);
      if (object === "app" && name === "registry") return "registry";
      if (object === "registry" && name === "portals") return "portal-registry";
      return undefined;
    }
    if (t.isNewExpression(e)) return kindOf(e.expression) === "app-class" ? "app" : undefined;
    if (t.isCallExpression(e)) {
      const callee = e.expression;
      if (kindOf(callee) === "test-portal") return "portal";
      // A function of the file annotated to return a builder (`function part(app): FlowBuilder<…>`).
      if (t.isIdentifier(callee)) {
        const decl = resolver.resolve(callee);
        const fn = decl !== undefined && t.isVariableDeclaration(decl) ? decl.initializer : decl;
        if (fn !== undefined && (t.isFunctionDeclaration(fn) || t.isArrowFunction(fn) || t.isFunctionExpression(fn))) return annotationKind(fn.type);
      }
      if (!t.isPropertyAccessExpression(callee)) return undefined;
      const object = kindOf(callee.expression);
      const method = callee.name.text;
      switch (object) {
        case "app":
          return method === "workflows" ? "workflow" : method === "portal" ? "portal" : undefined;
        case "workflow":
          return method === "source" ? "flow" : undefined;
        case "flow":
          return method === "freeze" ? undefined : "flow";
        case "tasks":
          return "task";
        case "task":
          return method.startsWith("with") ? "task" : undefined;
        case "portal-registry":
          return method === "get" ? "portal" : undefined;
        default:
          return undefined;
      }
    }
    return undefined;
  };

  const kindOfDeclaration = (decl: ts.Node | undefined): Kind | undefined => {
    if (decl === undefined) return undefined;
    if (t.isImportSpecifier(decl)) {
      const from = decl.parent.parent.parent.moduleSpecifier;
      return t.isStringLiteral(from) && PACKAGE.test(from.text) ? ROOTS.get((decl.propertyName ?? decl.name).text) : undefined;
    }
    if (t.isNamespaceImport(decl)) {
      const from = decl.parent.parent.moduleSpecifier;
      return t.isStringLiteral(from) && PACKAGE.test(from.text) ? "namespace" : undefined;
    }
    if (t.isVariableDeclaration(decl)) return decl.initializer ? kindOf(decl.initializer) : annotationKind(decl.type);
    if (t.isParameter(decl)) {
      const annotated = annotationKind(decl.type);
      if (annotated !== undefined) return annotated;
      // The `app` of `PortalsApp(name, (app) => …)`.
      const fn = decl.parent;
      const call = fn.parent;
      if (fn.parameters[0] === decl && t.isCallExpression(call) && call.arguments[1] === fn && kindOf(call.expression) === "portals-app") return "app";
      return contextualKind(decl);
    }
    return undefined;
  };

  /**
   * The kind a parameter of a function passed to one of the file's functions takes from that
   * function's annotation: the `app` of `each((app) => …)` where
   * `function each(define: (app: ApplicationBuilder) => void)`.
   */
  const contextualKind = (param: ts.ParameterDeclaration): Kind | undefined => {
    const fn = param.parent;
    const call = fn.parent;
    if (!(t.isArrowFunction(fn) || t.isFunctionExpression(fn)) || !t.isCallExpression(call) || !t.isIdentifier(call.expression)) return undefined;
    const argument = call.arguments.indexOf(fn);
    const decl = resolver.resolve(call.expression);
    const callee = decl !== undefined && t.isVariableDeclaration(decl) ? decl.initializer : decl;
    if (argument < 0 || callee === undefined || !(t.isFunctionDeclaration(callee) || t.isArrowFunction(callee) || t.isFunctionExpression(callee))) return undefined;
    const type = callee.parameters[argument]?.type;
    if (type === undefined || !t.isFunctionTypeNode(type)) return undefined;
    return annotationKind(type.parameters[fn.parameters.indexOf(param)]?.type);
  };

  const annotationKind = (type: ts.TypeNode | undefined): Kind | undefined => {
    if (type === undefined || !t.isTypeReferenceNode(type)) return undefined;
    const name = type.typeName;
    const id = t.isIdentifier(name) ? name : name.right;
    const left = t.isQualifiedName(name) ? name.left : undefined;
    const imported = left === undefined ? resolver.resolve(id) : left && t.isIdentifier(left) ? resolver.resolve(left) : undefined;
    const fromPortals =
      imported !== undefined &&
      ((t.isImportSpecifier(imported) && t.isStringLiteral(imported.parent.parent.parent.moduleSpecifier) && PACKAGE.test(imported.parent.parent.parent.moduleSpecifier.text)) ||
        (t.isNamespaceImport(imported) && t.isStringLiteral(imported.parent.parent.moduleSpecifier) && PACKAGE.test(imported.parent.parent.moduleSpecifier.text)));
    if (!fromPortals) return undefined;
    const exported = t.isImportSpecifier(imported) && left === undefined ? (imported.propertyName ?? imported.name).text : id.text;
    return ANNOTATIONS.get(exported);
  };

  return {
    usesPortals,
    operatorCalls: () =>
      usesPortals
        ? candidateCalls(
            t,
            file,
            (_call, receiver) => {
              const k = kindOf(receiver);
              return k === "flow" || k === "tasks" || k === "task";
            },
            (id) => {
              const decl = resolver.resolve(id);
              if (decl === undefined) return undefined;
              if (t.isFunctionDeclaration(decl)) return decl.parent === file ? moduleFunction(t, file, id) : undefined;
              // A `const` function in any scope (the builder's, say), as the checked view resolves it.
              if (t.isVariableDeclaration(decl) && t.isVariableDeclarationList(decl.parent) && decl.parent.flags & t.NodeFlags.Const && decl.initializer !== undefined) {
                const init = decl.initializer;
                return t.isArrowFunction(init) || t.isFunctionExpression(init) ? init : undefined;
              }
              return undefined;
            },
          )
        : [],
    mayBePortal: (receiver) => {
      const k = kindOf(receiver);
      if (k !== undefined) return k === "portal";
      // A variable made here by a literal, a function or `new` (an HTTP-like client object) is
      // not a portal ref whatever its methods are called.
      if (t.isIdentifier(receiver)) {
        const decl = resolver.resolve(receiver);
        const init = decl !== undefined && t.isVariableDeclaration(decl) && t.isIdentifier(decl.name) ? decl.initializer : undefined;
        if (init !== undefined && (t.isObjectLiteralExpression(init) || t.isArrayLiteralExpression(init) || t.isFunctionLike(init) || t.isClassExpression(init) || t.isLiteralExpression(init) || t.isNewExpression(init))) return false;
      }
      // Unknown syntactically (an import, a parameter, a value from elsewhere): maybe.
      return true;
    },
  };
}

/**
 * Lexical name resolution without a type checker: the declaration an identifier reference names,
 * found by walking out through the scopes around it (imports, variables, parameters, functions,
 * classes, catch variables). Good enough to follow builder values through a file.
 */
class Resolver {
  private readonly scopes = new Map<ts.Node, Map<string, ts.Node>>();

  constructor(
    private readonly t: typeof ts,
    private readonly file: ts.SourceFile,
  ) {}

  resolve(id: ts.Identifier): ts.Node | undefined {
    for (let n: ts.Node | undefined = id.parent; n !== undefined; n = n.parent) {
      const found = this.declared(n).get(id.text);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private declared(node: ts.Node): Map<string, ts.Node> {
    let names = this.scopes.get(node);
    if (names !== undefined) return names;
    names = new Map();
    this.scopes.set(node, names);
    const t = this.t;
    const bind = (name: ts.BindingName, decl: ts.Node): void => {
      if (t.isIdentifier(name)) names!.set(name.text, decl);
      else for (const el of name.elements) if (!t.isOmittedExpression(el)) bind(el.name, t.isIdentifier(el.name) ? decl : el);
    };
    const statements = t.isSourceFile(node) || t.isBlock(node) || t.isModuleBlock(node) ? node.statements : t.isCaseClause(node) || t.isDefaultClause(node) ? node.statements : undefined;
    for (const s of statements ?? []) {
      if (t.isVariableStatement(s)) for (const d of s.declarationList.declarations) bind(d.name, d);
      else if ((t.isFunctionDeclaration(s) || t.isClassDeclaration(s)) && s.name) names.set(s.name.text, s);
      else if (t.isImportDeclaration(s) && s.importClause) {
        const c = s.importClause;
        if (c.name) names.set(c.name.text, c);
        if (c.namedBindings && t.isNamespaceImport(c.namedBindings)) names.set(c.namedBindings.name.text, c.namedBindings);
        if (c.namedBindings && t.isNamedImports(c.namedBindings)) for (const e of c.namedBindings.elements) names.set(e.name.text, e);
      }
    }
    if (t.isFunctionLike(node)) {
      for (const p of node.parameters) bind(p.name, p);
      if ((t.isFunctionExpression(node) || t.isClassExpression(node)) && node.name) names.set(node.name.text, node);
    }
    if ((t.isForStatement(node) || t.isForOfStatement(node) || t.isForInStatement(node)) && node.initializer && t.isVariableDeclarationList(node.initializer)) {
      for (const d of node.initializer.declarations) bind(d.name, d);
    }
    if (t.isCatchClause(node) && node.variableDeclaration) bind(node.variableDeclaration.name, node.variableDeclaration);
    return names;
  }
}
