/**
 * Scope analysis of one async function, without a type checker: which identifiers are the
 * function's own variables, and which of those must live in the frame (docs/compiler.md,
 * "Scopes"; `ir.ts` explains which). References to anything declared outside the function
 * (module bindings, portal refs, the enclosing `define` callback's locals) resolve to nothing
 * and stay as they are: they are re-bound on every resume.
 */
import type * as ts from "typescript";

/** A variable declared in the function (or a function nested in it). */
export interface Binding {
  readonly name: string;
  /** The node that declares the scope the variable belongs to. */
  readonly scope: ts.Node;
  /** `var`, `let`, `const`, `param`, `catch`, `function` or `class`. */
  readonly kind: "var" | "let" | "const" | "param" | "catch" | "function" | "class";
  /** The declaring identifier. */
  readonly declaration: ts.Identifier;
  /** Frame slot name when the variable lives in the frame. */
  slot: string | undefined;
  /** True when the binding is the task context parameter (re-bound, never stored). */
  readonly context: boolean;
}

/** Result of {@link analyzeScopes}. */
export interface Scopes {
  /** The binding an identifier (reference or declaration) refers to; absent for outer names. */
  readonly bindings: ReadonlyMap<ts.Identifier, Binding>;
  /** Every binding of the function's own scopes (not of nested functions). */
  readonly own: readonly Binding[];
  /** Scope nodes that contain an await outside nested functions (their variables are slots). */
  readonly lowered: ReadonlySet<ts.Node>;
  /** Nodes (statements and expressions) that contain an await outside nested functions. */
  readonly awaits: ReadonlySet<ts.Node>;
}

/**
 * Analyzes `fn`. `contextParam` is the index of the task context parameter (operators: 1),
 * or -1 for helpers.
 */
export function analyzeScopes(t: typeof ts, fn: ts.FunctionLikeDeclaration, contextParam: number): Scopes {
  const bindings = new Map<ts.Identifier, Binding>();
  const own: Binding[] = [];
  const awaits = new Set<ts.Node>();
  markAwaits(t, fn, awaits);
  const lowered = new Set<ts.Node>();
  for (const node of awaits) if (isScopeNode(t, node) || node === fn) lowered.add(node);
  lowered.add(fn);

  interface Scope {
    readonly node: ts.Node;
    readonly names: Map<string, Binding>;
    readonly parent: Scope | undefined;
    /** Nested functions own their variables; they never become frame slots. */
    readonly nested: boolean;
    readonly functionScope: Scope;
  }

  const declare = (scope: Scope, id: ts.Identifier, kind: Binding["kind"], context = false): void => {
    const target = kind === "var" ? scope.functionScope : scope;
    const existing = target.names.get(id.text);
    if (existing !== undefined && (kind === "var" || kind === "function")) {
      bindings.set(id, existing);
      return;
    }
    const b: Binding = { name: id.text, scope: target.node, kind, declaration: id, slot: undefined, context };
    target.names.set(id.text, b);
    bindings.set(id, b);
    if (!target.nested) own.push(b);
  };

  const declarePattern = (scope: Scope, name: ts.BindingName, kind: Binding["kind"]): void => {
    if (t.isIdentifier(name)) return declare(scope, name, kind);
    for (const el of name.elements) if (!t.isOmittedExpression(el)) declarePattern(scope, el.name, kind);
  };

  /** Declarations of a block-like list of statements (hoisting `var` to the function). */
  const hoist = (scope: Scope, statements: readonly ts.Statement[]): void => {
    const visitVar = (node: ts.Node): void => {
      if (t.isVariableDeclarationList(node) && !(node.flags & t.NodeFlags.BlockScoped)) {
        for (const d of node.declarations) declarePattern(scope, d.name, "var");
      }
      if (t.isFunctionLike(node) || t.isClassLike(node)) return;
      t.forEachChild(node, visitVar);
    };
    for (const s of statements) {
      if (t.isVariableStatement(s) && s.declarationList.flags & t.NodeFlags.BlockScoped) {
        const kind = s.declarationList.flags & t.NodeFlags.Const ? "const" : "let";
        for (const d of s.declarationList.declarations) declarePattern(scope, d.name, kind);
      } else if (t.isFunctionDeclaration(s) && s.name) {
        declare(scope, s.name, "function");
      } else if (t.isClassDeclaration(s) && s.name) {
        declare(scope, s.name, "class");
      }
      visitVar(s);
    }
  };

  const open = (node: ts.Node, parent: Scope | undefined, fnScope: boolean, nested: boolean): Scope => {
    const scope: Scope = { node, names: new Map(), parent, nested, functionScope: undefined as unknown as Scope };
    (scope as { functionScope: Scope }).functionScope = fnScope || parent === undefined ? scope : parent.functionScope;
    return scope;
  };

  const resolve = (scope: Scope | undefined, id: ts.Identifier): void => {
    for (let s = scope; s !== undefined; s = s.parent) {
      const b = s.names.get(id.text);
      if (b !== undefined) {
        bindings.set(id, b);
        return;
      }
    }
  };

  const visitFunction = (f: ts.FunctionLikeDeclaration, parent: Scope | undefined, nested: boolean): void => {
    const scope = open(f, parent, true, nested);
    if (!nested && f.name && t.isIdentifier(f.name) && t.isFunctionExpression(f)) declare(scope, f.name, "function");
    f.parameters.forEach((p, i) => {
      if (t.isIdentifier(p.name)) declare(scope, p.name, "param", !nested && i === contextParam);
      else declarePattern(scope, p.name, "param");
    });
    for (const p of f.parameters) {
      if (p.initializer) visit(p.initializer, scope);
      visitPatternDefaults(p.name, scope);
    }
    const body = f.body;
    if (body === undefined) return;
    if (t.isBlock(body)) {
      hoist(scope, body.statements);
      for (const s of body.statements) visit(s, scope);
    } else {
      visit(body, scope);
    }
  };

  const visitPatternDefaults = (name: ts.BindingName, scope: Scope): void => {
    if (t.isIdentifier(name)) return;
    for (const el of name.elements) {
      if (t.isOmittedExpression(el)) continue;
      if (el.propertyName && t.isComputedPropertyName(el.propertyName)) visit(el.propertyName.expression, scope);
      if (el.initializer) visit(el.initializer, scope);
      visitPatternDefaults(el.name, scope);
    }
  };

  const visit = (node: ts.Node, scope: Scope): void => {
    if (t.isIdentifier(node)) {
      if (isReference(t, node)) resolve(scope, node);
      return;
    }
    if (t.isTypeNode(node) || t.isTypeParameterDeclaration(node) || t.isInterfaceDeclaration(node) || t.isTypeAliasDeclaration(node)) return;
    if (t.isFunctionLike(node) && "body" in node) {
      if (t.isFunctionDeclaration(node) && node.name) resolve(scope, node.name);
      visitFunction(node as ts.FunctionLikeDeclaration, scope, true);
      return;
    }
    if (t.isBlock(node) || t.isCaseBlock(node) || t.isModuleBlock(node)) {
      const inner = open(node, scope, false, scope.nested);
      const statements = t.isCaseBlock(node) ? node.clauses.flatMap((c) => [...c.statements]) : node.statements;
      hoist(inner, statements);
      t.forEachChild(node, (c) => visit(c, inner));
      return;
    }
    if (t.isForStatement(node) || t.isForInStatement(node) || t.isForOfStatement(node)) {
      const inner = open(node, scope, false, scope.nested);
      const init = t.isForStatement(node) ? node.initializer : node.initializer;
      if (init && t.isVariableDeclarationList(init) && init.flags & t.NodeFlags.BlockScoped) {
        const kind = init.flags & t.NodeFlags.Const ? "const" : "let";
        for (const d of init.declarations) declarePattern(inner, d.name, kind);
      }
      t.forEachChild(node, (c) => visit(c, inner));
      return;
    }
    if (t.isCatchClause(node)) {
      const inner = open(node, scope, false, scope.nested);
      if (node.variableDeclaration) declarePattern(inner, node.variableDeclaration.name, "catch");
      t.forEachChild(node, (c) => visit(c, inner));
      return;
    }
    if (t.isClassLike(node)) {
      if (node.name) resolve(scope, node.name);
      t.forEachChild(node, (c) => visit(c, scope));
      return;
    }
    if (t.isVariableDeclaration(node) || t.isParameter(node) || t.isBindingElement(node)) {
      const name = node.name;
      if (t.isIdentifier(name)) resolve(scope, name);
      else visit(name, scope);
      if (t.isBindingElement(node) && node.propertyName && t.isComputedPropertyName(node.propertyName)) visit(node.propertyName, scope);
      if (node.initializer) visit(node.initializer, scope);
      return;
    }
    t.forEachChild(node, (c) => visit(c, scope));
  };

  visitFunction(fn, undefined, false);

  // Frame slots: every own binding whose scope is lowered, named uniquely. Slots are properties
  // of the frame's locals object, so names of Object.prototype are renamed too: `$L.__proto__ =`
  // would set the prototype, and an unassigned `var constructor` would read Object.
  const used = new Set<string>(Object.getOwnPropertyNames(Object.prototype));
  for (const b of own) {
    if (b.context || b.kind === "function" || !lowered.has(b.scope)) continue;
    let slot = b.name;
    for (let i = 1; used.has(slot); i++) slot = `${b.name}$${i}`;
    used.add(slot);
    b.slot = slot;
  }
  return { bindings, own, lowered, awaits };
}

/** Nodes that open a scope for block-scoped declarations. */
function isScopeNode(t: typeof ts, node: ts.Node): boolean {
  return (
    t.isBlock(node) ||
    t.isCaseBlock(node) ||
    t.isForStatement(node) ||
    t.isForInStatement(node) ||
    t.isForOfStatement(node) ||
    t.isCatchClause(node)
  );
}

/**
 * The call of `return x.request(…)` or `return Promise.all(…)` (or an arrow's expression body
 * that is one), else `undefined`: an async function that returns a request resolves to its
 * reply, so the lowering suspends there as for an await (see `lower/expressions.ts`,
 * `lowerReturned`, which also checks that `x` may be a portal ref).
 */
export function returnsRequest(t: typeof ts, node: ts.Node, fn: ts.FunctionLikeDeclaration): ts.CallExpression | undefined {
  let value: ts.Node | undefined;
  if (t.isReturnStatement(node)) value = node.expression;
  else if (node === fn.body && t.isArrowFunction(fn) && !t.isBlock(node)) value = node;
  while (value !== undefined && (t.isParenthesizedExpression(value) || t.isAsExpression(value) || t.isNonNullExpression(value) || t.isSatisfiesExpression(value))) value = value.expression;
  if (value === undefined || !t.isCallExpression(value) || !t.isPropertyAccessExpression(value.expression)) return undefined;
  const callee = value.expression;
  const request = callee.name.text === "request" || (callee.name.text === "all" && t.isIdentifier(callee.expression) && callee.expression.text === "Promise");
  return request ? value : undefined;
}

/** Marks every node on the path from `fn` to each of its own awaits (not in nested functions). */
function markAwaits(t: typeof ts, fn: ts.FunctionLikeDeclaration, out: Set<ts.Node>): boolean {
  const visit = (node: ts.Node): boolean => {
    if (node !== fn && t.isFunctionLike(node)) return false;
    let found = t.isAwaitExpression(node) || (t.isForOfStatement(node) && node.awaitModifier !== undefined) || returnsRequest(t, node, fn) !== undefined;
    t.forEachChild(node, (c) => {
      if (visit(c)) found = true;
    });
    if (found) out.add(node);
    return found;
  };
  return visit(fn);
}

/** True when `id` is used as a variable reference (not a property name, label or type). */
export function isReference(t: typeof ts, id: ts.Identifier): boolean {
  const p = id.parent;
  if (p === undefined) return true;
  if (t.isPropertyAccessExpression(p) && p.name === id) return false;
  if (t.isQualifiedName(p)) return false;
  if ((t.isPropertyAssignment(p) || t.isMethodDeclaration(p) || t.isPropertyDeclaration(p) || t.isGetAccessor(p) || t.isSetAccessor(p)) && p.name === id) return false;
  if (t.isBindingElement(p) && p.propertyName === id) return false;
  if ((t.isLabeledStatement(p) || t.isBreakStatement(p) || t.isContinueStatement(p)) && p.label === id) return false;
  if (t.isImportSpecifier(p) || t.isExportSpecifier(p) || t.isImportClause(p) || t.isNamespaceImport(p)) return false;
  if (t.isMetaProperty(p)) return false;
  if (t.isJsxAttribute(p)) return false;
  if (t.isEnumMember(p) && p.name === id) return false;
  return true;
}
