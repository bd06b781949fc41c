/**
 * Compile errors. Every layer of the compiler throws {@link CompileError} (or records one with
 * {@link Diagnostics.report}); the transformer's single choke point (`transform.ts`) turns them
 * into TypeScript diagnostics with file and line, so `tspc`, the Vite plugin and the Node hook
 * report them the same way (docs/compiler.md, "Diagnostics").
 */
import type * as ts from "typescript";

/**
 * Diagnostic codes of this compiler: 93001–93099, a range of their own (TypeScript's own codes
 * go up to 18000s and 69000s; `tsc` shows these as `TS93002`).
 */
export const Code = {
  /** A construct the lowering does not support. */
  Unsupported: 93001,
  /** An await of something other than a portal request or a compiled helper. */
  NotARequest: 93002,
  /** A local live across an await that cannot be serialized. */
  NotSerializable: 93003,
  /** A request to a portal the task did not declare. */
  UndeclaredPortal: 93004,
  /** `ctx.reply` outside a replier's request handler. */
  ReplyOutsideReplier: 93005,
  /** A compiler configuration under which operators cannot be compiled (a target below ES2017, an `after` plugin). */
  Configuration: 93006,
  /** The compiler itself failed on a file (a warning of the language-service plugin: tspc shows the real error). */
  Internal: 93099,
} as const;

/** A problem at a node of the user's code. */
export class CompileError extends Error {
  constructor(
    readonly node: ts.Node,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Collects the problems of one file. */
export class Diagnostics {
  readonly errors: CompileError[] = [];

  /** Records a problem and goes on (used where the rest of the function can still be checked). */
  report(node: ts.Node, code: number, message: string): void {
    this.errors.push(new CompileError(node, code, message));
  }

  /** Runs `work`; a thrown {@link CompileError} is recorded and `fallback` is returned. */
  guard<T>(work: () => T, fallback: T): T {
    try {
      return work();
    } catch (thrown) {
      if (!(thrown instanceof CompileError)) throw thrown;
      this.errors.push(thrown);
      return fallback;
    }
  }

  /** The problems as TypeScript diagnostics of `file`. */
  toDiagnostics(t: typeof ts, file: ts.SourceFile): ts.Diagnostic[] {
    return this.errors.map((e) => ({
      category: t.DiagnosticCategory.Error,
      code: e.code,
      file,
      start: e.node.getStart(file),
      length: e.node.getWidth(file),
      messageText: `portals: ${e.message}`,
      source: "portals-ts",
    }));
  }
}

/** `file:line:column` of a node (1-based), for messages. */
export function position(file: ts.SourceFile, node: ts.Node): string {
  const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return `${file.fileName}:${line + 1}:${character + 1}`;
}
