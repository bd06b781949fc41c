/**
 * Where in the module's TypeScript a thrown value was, as `portals run` says it under an error
 * line (`    at app.ts:12:5`): the runner evaluates each compiled file under a source URL of its
 * own (`playground:///<path>.js`), so the browser's stack frames name it, and the compiler's
 * source map of that file (read with @jridgewell/trace-mapping) takes the frame back to the
 * TypeScript line and column.
 */
import { originalPositionFor, TraceMap } from "@jridgewell/trace-mapping";

/** The prefix of the source URL of a compiled file of the page. */
export const SOURCE_URL = "playground:///";

/** A frame of a stack in a compiled file of the page: its path, line and column (1-based). */
const FRAME = new RegExp(`${SOURCE_URL.replace(/[/.]/g, "\\$&")}([^\\s:)]+\\.js):(\\d+):(\\d+)`);

/** Source positions of the compiled files, from their source maps. */
export class SourcePositions {
  private readonly traces = new Map<string, TraceMap>();

  /** @param maps the source map (JSON text) of each compiled file, by its `.js` path */
  constructor(private readonly maps: Readonly<Record<string, string>>) {}

  /**
   * The first frame of `thrown`'s stack in the page's files, as `file.ts:line:column`, or
   * `undefined` when it has none there (not an error, or only the runtime's frames).
   */
  where(thrown: unknown): string | undefined {
    const stack = (thrown as { stack?: unknown } | null | undefined)?.stack;
    if (typeof stack !== "string") return undefined;
    for (const line of stack.split("\n")) {
      const m = FRAME.exec(line);
      if (m === null) continue;
      const [, file, row, column] = m;
      const trace = this.trace(file!);
      if (trace === undefined) continue;
      const found = originalPositionFor(trace, { line: Number(row), column: Number(column) - 1 });
      if (found.line === null) continue;
      return `${file!.replace(/\.js$/, ".ts")}:${found.line}:${found.column + 1}`;
    }
    return undefined;
  }

  private trace(file: string): TraceMap | undefined {
    let trace = this.traces.get(file);
    const map = this.maps[file];
    if (trace === undefined && map !== undefined) this.traces.set(file, (trace = new TraceMap(map)));
    return trace;
  }
}
