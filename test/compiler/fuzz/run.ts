/**
 * Runs one generated module through the compiler and the harness (test/compiler/harness.ts) and
 * says what happened:
 *
 *   - `rejected`: the compiler reported diagnostics (fine: counted, with the reasons);
 *   - `accepted`: the emitted JavaScript parses, and the native run, the compiled run and the
 *     compiled run with a snapshot/restore of the suspended invocation at every suspension give
 *     equal traces;
 *   - `mismatch`: anything else (a different trace, a crash of the compiler or of a run, output
 *     that does not parse, a failure first seen at snapshot time, a diagnostic without a
 *     position), with the three traces and the compiled output.
 *
 * Modules are evaluated in memory (CommonJS output with an injected `require`), as in the
 * property test, and the compiled dispatch loops get a step limit, so that a compiled program
 * that loops forever fails instead of hanging the run.
 */
import * as ts from "typescript";
import * as portals from "portals-ts";
import * as machine from "portals-ts/machine";
import { machineOf } from "../../../runtime/core/machine.js";
import { createTransformer } from "../../../compiler/core/transform.js";
import { formatDiagnostic } from "../../../compiler/hosts/transpile.js";
import * as harness from "../harness.js";
import { ROOT } from "../fixtures.js";

/** Where generated modules pretend to live (machine ids are relative to the root). */
export const FUZZ_FILE = `${ROOT}/test/compiler/fuzz/generated.ts`;

/** How a mismatch shows. */
export type MismatchKind =
  | "compiler-crash"
  | "diagnostic-without-position"
  | "unparseable-output"
  | "not-compiled"
  | "native-vs-compiled"
  | "native-vs-restored"
  | "compiled-run-crash"
  | "snapshot-failure"
  | "changed-output"
  | "invalid-program";

export type Verdict =
  | { readonly status: "rejected"; readonly diagnostics: readonly string[] }
  | { readonly status: "accepted"; readonly suspensions: number }
  | {
      readonly status: "mismatch";
      readonly kind: MismatchKind;
      readonly detail: string;
      /** The native trace as the harness records it (a fixture's `expected`). */
      readonly expected?: readonly string[];
      readonly native?: readonly string[];
      readonly compiled?: readonly string[];
      readonly restored?: readonly string[];
    };

const STEP_LIMIT = 200_000;

interface Compiled {
  readonly js: string;
  /** TypeScript's syntax errors in the source (the generator's fault). */
  readonly syntax: readonly ts.Diagnostic[];
  readonly diagnostics: readonly ts.Diagnostic[];
  readonly machines: number;
}

/** Transpiles `source` as `ts` does, with the portals transformer when `compiled`. */
export function transpile(source: string, compiled: boolean, module: ts.ModuleKind = ts.ModuleKind.CommonJS): Compiled {
  const diagnostics: ts.Diagnostic[] = [];
  let machines = 0;
  const out = ts.transpileModule(source, {
    fileName: FUZZ_FILE,
    reportDiagnostics: true,
    compilerOptions: { module, target: ts.ScriptTarget.ES2022 },
    transformers: compiled
      ? {
          before: [
            createTransformer(ts, {
              root: ROOT,
              onFile: (_f, r) => {
                diagnostics.push(...r.diagnostics);
                machines += r.machines;
              },
            }),
          ],
        }
      : undefined,
  });
  return { js: out.outputText, syntax: out.diagnostics ?? [], diagnostics, machines };
}

/** The compiled module as ES module text, for people. */
export function compiledOutput(source: string): string {
  try {
    return transpile(source, true, ts.ModuleKind.ESNext).js;
  } catch (e) {
    return `<compiler crashed: ${(e as Error).stack}>`;
  }
}

/** A diagnostic as `file:line:column - message`. */
export function formatted(d: ts.Diagnostic): string {
  return formatDiagnostic(ts, d).replace(`${ROOT}/`, "");
}

interface Exports {
  readonly default: { spec: { fn?: unknown; onAsk?: unknown } };
  readonly events: readonly unknown[];
}

const steps = { n: 0 };

/** Makes the module's function (throws SyntaxError when the text does not parse). */
function moduleFunction(js: string, guarded: boolean): (require: unknown, exports: unknown, steps: unknown) => void {
  const text = guarded ? js.replace(/(\$dispatch_*): for \(;;\) \{/g, `$1: for (;;) {\nif (++__fuzzSteps.n > ${STEP_LIMIT}) throw new Error("fuzz: step limit");`) : js;
  return new Function("require", "exports", "__fuzzSteps", text) as (require: unknown, exports: unknown, steps: unknown) => void;
}

function evaluate(fn: (require: unknown, exports: unknown, steps: unknown) => void): Exports {
  const modules: Record<string, unknown> = { "portals-ts": portals, "portals-ts/machine": machine, "../../harness.js": harness };
  const exports = {};
  fn(
    (m: string) => {
      const found = modules[m];
      if (found === undefined) throw new Error(`fuzz: no module ${m}`);
      return found;
    },
    exports,
    steps,
  );
  return exports as Exports;
}

/**
 * Rejections nobody handled, since the last {@link rejectionsSince}: compiled code can leave one
 * (an uncompiled async helper awaiting a request handle, run natively by compiled code), which
 * the native run would not. Recorded per run, in processes that run programs (the worker);
 * elsewhere (Vitest) the runner's own handler reports them.
 */
const rejections: unknown[] = [];
let listening = false;

/** Records unhandled rejections into the traces instead of letting them end the process. */
export function captureUnhandledRejections(): void {
  if (listening) return;
  listening = true;
  process.on("unhandledRejection", (reason) => rejections.push(reason));
}

async function rejectionsSince(): Promise<string[]> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  const out = rejections.map((r) => `unhandled rejection ${r instanceof Error ? `${r.name}: ${r.message}` : String(r)}`);
  rejections.length = 0;
  return out;
}

const callback = (e: Exports): unknown => e.default.spec.onAsk ?? e.default.spec.fn;

const ENGINE_ERROR_LINE = /^throw (TypeError|ReferenceError|RangeError|SyntaxError)\(.*\)$/s;

/**
 * A trace as compared: the message of an engine error thrown out of the operator is left out,
 * because it quotes the source text, which compiled code writes differently (`$L.a is not a
 * function`); its class is kept.
 */
export function normalize(trace: readonly string[]): string[] {
  return trace.map((line) => line.replace(ENGINE_ERROR_LINE, "throw $1(…)"));
}

const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Compiles and runs one operator module. */
export async function check(source: string): Promise<Verdict> {
  harness.resetDataClasses();
  let compiled: Compiled;
  try {
    compiled = transpile(source, true);
  } catch (e) {
    return { status: "mismatch", kind: "compiler-crash", detail: String((e as Error).stack ?? e) };
  }
  if (compiled.syntax.length > 0) return { status: "mismatch", kind: "invalid-program", detail: `syntax errors: ${compiled.syntax.map(formatted).join("\n")}` };
  if (compiled.diagnostics.length > 0) {
    const unplaced = compiled.diagnostics.filter((d) => d.file === undefined || d.start === undefined);
    if (unplaced.length > 0) {
      return { status: "mismatch", kind: "diagnostic-without-position", detail: unplaced.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n") };
    }
    return { status: "rejected", diagnostics: compiled.diagnostics.map(formatted) };
  }
  // The program itself first: a module that does not load natively is the generator's fault.
  const nativeJs = transpile(source, false).js;
  let nativeExports: Exports;
  try {
    nativeExports = evaluate(moduleFunction(nativeJs, false));
  } catch (e) {
    return { status: "mismatch", kind: "invalid-program", detail: `the native module does not load: ${(e as Error).stack}` };
  }
  let compiledFn: ReturnType<typeof moduleFunction>;
  try {
    compiledFn = moduleFunction(compiled.js, true);
  } catch (e) {
    return { status: "mismatch", kind: "unparseable-output", detail: String(e) };
  }
  await rejectionsSince();
  const expected = await harness.runNative(callback(nativeExports) as (x: unknown, ctx: unknown) => Promise<unknown>, nativeExports.events);
  // Natively, a request that fails before anything awaits it (issued, then an earlier await
  // throws or takes a turn) is an unhandled rejection; a compiled request handle is plain data
  // and has none. That is the runtime's semantics, not a compiler defect: left out.
  await rejectionsSince();
  const native = normalize(expected);

  const load = () => {
    const m = machineOf(callback(evaluate(compiledFn)));
    if (m === undefined) throw new NotCompiled();
    return m;
  };
  const run = async (reload: boolean): Promise<string[]> => {
    steps.n = 0;
    let trace: string[];
    try {
      trace = await harness.runCompiled(load(), nativeExports.events, reload ? async () => load() : undefined);
    } catch (e) {
      if (e instanceof NotCompiled) throw e;
      trace = [`crash ${(e as Error)?.name}: ${(e as Error)?.message}`];
    }
    return normalize([...trace, ...(await rejectionsSince())]);
  };
  let plain: string[];
  let restored: string[];
  try {
    plain = await run(false);
    restored = await run(true);
  } catch (e) {
    if (e instanceof NotCompiled) return { status: "mismatch", kind: "not-compiled", detail: "the operator has no machine", native };
    throw e;
  }
  const traces = { native, compiled: plain, restored, expected };
  const crashed = (t: readonly string[]) => t.some((l) => l.startsWith("crash "));
  if (!same(native, plain)) {
    return { status: "mismatch", kind: crashed(plain) ? "compiled-run-crash" : "native-vs-compiled", detail: firstDifference(native, plain), ...traces };
  }
  if (!same(native, restored)) {
    const last = restored.find((l) => l.startsWith("crash ")) ?? "";
    const kind = crashed(restored) ? (/EncodeError|cannot store|restore|decode/i.test(last) ? "snapshot-failure" : "compiled-run-crash") : "native-vs-restored";
    return { status: "mismatch", kind, detail: firstDifference(native, restored), ...traces };
  }
  return { status: "accepted", suspensions: native.filter((l) => l.startsWith("request ")).length };
}

class NotCompiled extends Error {}

/**
 * Checks a module the compiler must leave alone (no async operator, no helper): no
 * diagnostics, no machine, and the output exactly as TypeScript emits it.
 */
export function checkLeftAlone(source: string): Verdict {
  let compiled: Compiled;
  try {
    compiled = transpile(source, true, ts.ModuleKind.ESNext);
  } catch (e) {
    return { status: "mismatch", kind: "compiler-crash", detail: String((e as Error).stack ?? e) };
  }
  const native = transpile(source, false, ts.ModuleKind.ESNext);
  if (compiled.diagnostics.length > 0) return { status: "mismatch", kind: "changed-output", detail: `diagnostics: ${compiled.diagnostics.map(formatted).join("\n")}` };
  if (compiled.machines > 0 || compiled.js !== native.js) {
    return { status: "mismatch", kind: "changed-output", detail: `${compiled.machines} machines; output differs at: ${firstDifference(native.js.split("\n"), compiled.js.split("\n"))}` };
  }
  return { status: "accepted", suspensions: 0 };
}

/** Where two traces part. */
export function firstDifference(a: readonly string[], b: readonly string[]): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `entry ${i}: expected ${a[i] === undefined ? "<end>" : JSON.stringify(a[i])}, got ${b[i] === undefined ? "<end>" : JSON.stringify(b[i])}`;
}

/** A report of a mismatch for people: the program, the verdict, the traces and the compiled output. */
export function report(source: string, verdict: Verdict, tags: readonly string[] = []): string {
  if (verdict.status !== "mismatch") return `${verdict.status}`;
  const trace = (name: string, t: readonly string[] | undefined) => (t === undefined ? "" : `\n--- ${name} trace\n${t.join("\n")}`);
  return [
    `MISMATCH (${verdict.kind}): ${verdict.detail}`,
    tags.length ? `constructs: ${tags.join(" ")}` : "",
    `--- program (test/compiler/fuzz/generated.ts)\n${source}`,
    trace("native", verdict.native) + trace("compiled", verdict.compiled) + trace("snapshot/restored", verdict.restored),
    `--- compiled output\n${compiledOutput(source)}`,
  ]
    .filter((x) => x !== "")
    .join("\n");
}
