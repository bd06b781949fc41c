/**
 * Exec harness of the compiler fixtures: runs an operator natively (the async function as
 * written) and compiled (its machine), on the same events and the same scripted replies, and
 * records the trace of each (emits, state writes, log lines, requests, return value, thrown
 * error). A third run snapshots the suspended machine at every suspension point: the frames
 * are encoded to bytes with the runtime's codec, the invocation is dropped, and it is rebuilt
 * from the bytes against a fresh instance of the compiled module before it resumes. All three
 * traces must be equal.
 *
 * Replies are delivered one at a time, oldest request first, in both worlds; natively the
 * microtask queue is drained after each.
 */
import { PortalRequestError, type Key, type PortalRef } from "portals-ts";
import { RequestHandle, type Machine } from "portals-ts/machine";
import { machineOf, reachableMachines } from "../../runtime/core/machine.js";
import { Invocation, type Outcome } from "../../runtime/engine/portals/invocation.js";
import type { DataClass } from "../../runtime/core/data.js";
import { createCodec, type Codec } from "../../runtime/state/codec.js";
import { compiledErrorClasses } from "../../runtime/core/error-classes.js";

/**
 * Data classes registered by the modules under test with {@link dataClass}: every registration of
 * a name, oldest first. Every fresh instance of a compiled module (a restore) defines its classes
 * anew and registers them again, and frames may hold instances of any of them (an invocation of
 * a later event starts from the first instance); all are encoded, and decoded as instances of the
 * latest, the module instance the invocation resumes in.
 */
const registered = new Map<string, DataClass<object>[]>();

/** The codec of the snapshot runs: the runtime's, with the classes registered so far. */
function currentCodec(): Codec {
  const portal: DataClass<FixturePortal<unknown, unknown>> = {
    name: "fixture.Portal",
    type: FixturePortal,
    encode: (p) => p.path,
    decode: (path: string) => portals.get(path)!,
  };
  const classes: DataClass<object>[] = [portal as unknown as DataClass<object>];
  for (const [name, versions] of registered) {
    const latest = versions[versions.length - 1]!;
    versions.forEach((d, i) => classes.push({ name: `${name}#${i}`, type: d.type, encode: d.encode, decode: latest.decode }));
  }
  return createCodec(classes);
}

/**
 * Registers the error classes `machine`'s module lists (as a system does for its tasks'
 * machines), once per class object: a fresh module instance adds a version.
 */
function noteErrorClasses(machine: Machine): void {
  for (const c of compiledErrorClasses([machine])) {
    if (!registered.get(c.name)?.some((d) => d.type === c.type)) dataClass(c);
  }
}

/** Forgets the data classes registered so far (between unrelated programs). */
export function resetDataClasses(): void {
  registered.clear();
}

/**
 * Registers a class as data for the snapshot codec of the harness (as `app.dataClass` does for
 * an application); returns its argument. The compiler recognises the call by its name and shape
 * (docs/compiler.md, "The data policy"), so an instance kept across an await is accepted.
 */
export function dataClass<T extends object>(d: DataClass<T>): DataClass<T> {
  const versions = registered.get(d.name) ?? [];
  versions.push(d as unknown as DataClass<object>);
  registered.set(d.name, versions);
  return d;
}

/** One observable effect of an operator. */
export type TraceEntry = string;

/** A scripted portal: its replies are computed by `reply` (which may throw to fail the request). */
export interface ScriptedPortal<Req = any, Rep = any> extends PortalRef<Req, Rep> {
  readonly reply: (request: Req) => Rep;
  /** Natively a promise of the reply; compiled, the handle of the request (as a portal ref's). */
  request(request: Req): RequestHandle<Rep>;
}

interface Pending {
  readonly portal: ScriptedPortal;
  readonly payload: unknown;
  readonly settle: (ok: boolean, value: unknown) => void;
}

interface Mode {
  readonly pending: Pending[];
  readonly trace: TraceEntry[];
  readonly compiled: boolean;
  nextId: number;
  /** The compiled invocation running, which records the requests it issues (as a task runner does). */
  invocation?: Invocation;
}

let mode: Mode | undefined;

/**
 * A fixture portal: `request` records and queues the request in the running harness. It is data
 * for the harness's codec, as a portal ref is for the runtime's (stored by its path; a restore
 * finds the portal of that path of the module instance created last).
 */
class FixturePortal<Req, Rep> {
  readonly kind = "portal" as const;
  readonly path: string;

  constructor(
    private readonly name: string,
    readonly reply: (request: Req) => Rep,
  ) {
    this.path = `/fixture/portals/${name}`;
    portals.set(this.path, this as FixturePortal<unknown, unknown>);
  }

  request(payload: Req): RequestHandle<Rep> {
    if (mode === undefined) throw new Error("fixture portal used outside of the harness");
    mode.trace.push(`request ${this.name} ${show(payload)}`);
    const p = this as unknown as ScriptedPortal;
    if (!mode.compiled) {
      const reply = new Promise<Rep>((resolve, reject) => {
        mode!.pending.push({ portal: p, payload, settle: (ok, v) => (ok ? resolve(v as Rep) : reject(v)) });
      });
      return reply as unknown as RequestHandle<Rep>;
    }
    const handle = new RequestHandle(this.path, mode.nextId++);
    mode.invocation?.issue(handle.requestId);
    mode.pending.push({ portal: p, payload, settle: () => {} });
    (mode.pending[mode.pending.length - 1] as { handle?: RequestHandle }).handle = handle;
    return handle as RequestHandle<Rep>;
  }
}

/** Fixture portals by path, the latest of each path (a fresh module instance makes its own). */
const portals = new Map<string, FixturePortal<unknown, unknown>>();

/** A portal for fixtures; see {@link FixturePortal}. */
export function portal<Req, Rep>(name: string, reply: (request: Req) => Rep): ScriptedPortal<Req, Rep> {
  return new FixturePortal(name, reply) as unknown as ScriptedPortal<Req, Rep>;
}

/** Renders a value for the trace (JSON, with undefined, NaN, -0 and errors kept apart). */
export function show(v: unknown): string {
  if (v === undefined) return "undefined";
  if (typeof v === "number" && (Number.isNaN(v) || Object.is(v, -0))) return Object.is(v, -0) ? "-0" : "NaN";
  if (v instanceof Error) return `${v.name}(${v.message})`;
  if (typeof v === "bigint") return `${v}n`;
  return JSON.stringify(v, (_k, x) => (x instanceof Map ? { map: [...x] } : x instanceof Set ? { set: [...x] } : x === undefined ? "<undefined>" : x));
}

/** A context that records what the operator does with it; state is kept per key. */
function recordingContext(trace: TraceEntry[], state: Map<string, unknown>, key: Key): unknown {
  const stateKey = (name: string): string => `${String(key)}/${name}`;
  const handle = (name: string, initial: unknown, scope: string) => ({
    get: () => (state.has(scope + name) ? state.get(scope + name) : initial),
    set: (v: unknown) => {
      trace.push(`set ${scope}${name} ${show(v)}`);
      state.set(scope + name, v);
    },
    del: () => {
      trace.push(`del ${scope}${name}`);
      state.delete(scope + name);
    },
  });
  return {
    key,
    emit: (v: unknown) => trace.push(`emit ${show(v)}`),
    reply: (v: unknown) => trace.push(`reply ${show(v)}`),
    log: {
      info: (m: string) => trace.push(`log info ${m}`),
      warn: (m: string) => trace.push(`log warn ${m}`),
      error: (m: string) => trace.push(`log error ${m}`),
    },
    state: {
      get: (name: string) => state.get(stateKey(name)),
      set: (name: string, v: unknown) => {
        trace.push(`set ${stateKey(name)} ${show(v)}`);
        state.set(stateKey(name), v);
      },
      del: (name: string) => {
        trace.push(`del ${stateKey(name)}`);
        state.delete(stateKey(name));
      },
    },
    perKey: (name: string, initial: unknown) => handle(name, initial, `${String(key)}/`),
    perTask: (name: string, initial: unknown) => handle(name, initial, "task/"),
  };
}

function failure(p: ScriptedPortal, thrown: unknown): PortalRequestError {
  return new PortalRequestError(p.path, thrown instanceof Error ? thrown.message : String(thrown));
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs the native async operator on each event; returns the trace. */
export async function runNative(fn: (event: unknown, ctx: unknown) => Promise<unknown>, events: readonly unknown[]): Promise<TraceEntry[]> {
  const trace: TraceEntry[] = [];
  const state = new Map<string, unknown>();
  for (const event of events) {
    const m: Mode = (mode = { pending: [], trace, compiled: false, nextId: 1 });
    let outcome: { ok: boolean; value: unknown } | undefined;
    // Each run gets its own copy: an operator may mutate its event.
    fn(structuredClone(event), recordingContext(trace, state, 0)).then(
      (value) => (outcome = { ok: true, value }),
      (error) => (outcome = { ok: false, value: error }),
    );
    await tick();
    while (outcome === undefined && m.pending.length > 0) {
      const next = m.pending.shift()!;
      let reply: { ok: boolean; value: unknown };
      try {
        reply = { ok: true, value: next.portal.reply(next.payload) };
      } catch (thrown) {
        reply = { ok: false, value: failure(next.portal, thrown) };
      }
      next.settle(reply.ok, reply.value);
      await tick();
    }
    trace.push(outcome === undefined ? "stuck" : outcome.ok ? `return ${show(outcome.value)}` : `throw ${show(outcome.value)}`);
  }
  mode = undefined;
  return trace;
}

/**
 * Runs the compiled machine on each event; returns the trace. With `reload`, every suspension
 * goes through bytes and a fresh module instance: `reload()` imports one and returns its
 * operator's machine, and frames are re-bound to the machines reachable from it (its helpers),
 * as a task does on restore.
 */
export async function runCompiled(
  machine: Machine,
  events: readonly unknown[],
  reload?: () => Promise<Machine>,
): Promise<TraceEntry[]> {
  const trace: TraceEntry[] = [];
  const state = new Map<string, unknown>();
  // After a restore the fresh module instance runs the next events, as a restored process would
  // (its classes are the ones the codec knows).
  let current = machine;
  noteErrorClasses(machine);
  try {
    for (const event of events) {
      const m: Mode = (mode = { pending: [], trace, compiled: true, nextId: 1 });
      const ctx = recordingContext(trace, state, 0);
      let inv = new Invocation(1, 0, current, [structuredClone(event)], {});
      m.invocation = inv;
      let outcome: Outcome = inv.start(ctx);
      while (outcome.kind === "parked") {
        if (reload !== undefined) {
          const bytes = currentCodec().encode(inv.toData(), "invocation");
          const fresh = await reload();
          noteErrorClasses(fresh);
          current = fresh;
          const machines = reachableMachines([fresh]);
          inv = Invocation.restore(currentCodec().decode(bytes) as ReturnType<typeof inv.toData>, (id) => machines.get(id));
          m.invocation = inv;
        }
        const next = m.pending.shift() as (Pending & { handle: RequestHandle }) | undefined;
        if (next === undefined) break;
        let settlement: { ok: true; value: unknown } | { ok: false; error: unknown };
        try {
          settlement = { ok: true, value: next.portal.reply(next.payload) };
        } catch (thrown) {
          settlement = { ok: false, error: failure(next.portal, thrown) };
        }
        const input = inv.receive(next.handle.requestId, settlement);
        if (input !== undefined) outcome = inv.run(ctx, input);
      }
      trace.push(outcome.kind === "parked" ? "stuck" : outcome.kind === "done" ? `return ${show(outcome.value)}` : `throw ${show(outcome.error)}`);
    }
  } finally {
    mode = undefined;
  }
  return trace;
}

/** The machine of an operator exported by a fixture (a `Task`'s callback or a compiled function). */
export function machineOfTask(task: { spec: { fn?: unknown; onAsk?: unknown } }): Machine {
  const m = machineOf(task.spec.onAsk ?? task.spec.fn);
  if (m === undefined) throw new Error("the fixture's operator was not compiled");
  return m;
}

/**
 * Probes for generated programs (the fuzzer, test/compiler/fuzz/): effects that land in the trace
 * of the running harness from anywhere, helpers and module-level functions included, so that the
 * order of evaluation is observable. Outside of a run they do nothing but return.
 */
export function note(text: string): void {
  mode?.trace.push(`note ${text}`);
}

/** Notes `label` with the value, returns the value: `tap("t", x)` observes when `x` is evaluated. */
export function tap<T>(label: string, value: T): T {
  note(`${label} ${describe(value)}`);
  return value;
}

/**
 * A callee probe: notes that the callee expression `callee(label, a)` was evaluated, and returns
 * a function that notes its call (with the value it was created with and its argument).
 */
export function callee(label: string, a: unknown): (b: unknown) => unknown {
  note(`callee ${label} ${describe(a)}`);
  return (b: unknown) => {
    note(`call ${label} ${describe(a)} ${describe(b)}`);
    return typeof a === "number" && typeof b === "number" ? a + b : b;
  };
}

/** A receiver probe: notes that the receiver `recv(label)` was evaluated; its `m` notes its call. */
export function recv(label: string): { m(b: unknown): unknown; k: number } {
  note(`recv ${label}`);
  return {
    k: 1,
    m(b: unknown) {
      note(`m ${label} ${describe(b)} ${describe(this.k)}`);
      return b;
    },
  };
}

const ENGINE_ERRORS = new Set(["TypeError", "ReferenceError", "RangeError", "SyntaxError"]);

/**
 * An exact rendering of a value for traces, where {@link show}'s JSON loses the difference: array
 * holes and non-index properties, prototypes (null-prototype objects, class instances by class
 * name), -0, NaN, bigint, Map, Set, Date, RegExp, typed arrays, errors by class (their message
 * only when the program wrote it: an engine error's message quotes source text, which the
 * compiled code writes differently), cycles and shared references.
 */
export function describe(value: unknown): string {
  const seen = new Map<object, number>();
  const go = (v: unknown): string => {
    switch (typeof v) {
      case "undefined":
        return "undefined";
      case "number":
        return Object.is(v, -0) ? "-0" : String(v);
      case "bigint":
        return `${v}n`;
      case "string":
        return JSON.stringify(v);
      case "boolean":
        return String(v);
      case "symbol":
        return `Symbol(${v.description ?? ""})`;
      case "function":
        return "function";
    }
    if (v === null) return "null";
    const o = v as object;
    if (seen.has(o)) return `<ref ${seen.get(o)}>`;
    seen.set(o, seen.size);
    const proto = Object.getPrototypeOf(o) as object | null;
    const own = (skip: (k: string) => boolean): string[] =>
      Object.keys(o)
        .filter((k) => !skip(k))
        .map((k) => `${JSON.stringify(k)}: ${go((o as Record<string, unknown>)[k])}`);
    if (o instanceof Error) {
      const cls = (proto as { constructor?: { name?: string } } | null)?.constructor?.name ?? "?";
      const message = ENGINE_ERRORS.has(o.name) && ENGINE_ERRORS.has(cls) ? "…" : JSON.stringify(o.message);
      const extra = own((k) => k === "stack" || k === "message");
      return `${cls}<${o.name}>(${message}${"cause" in o ? `, cause ${go(o.cause)}` : ""})${extra.length ? `{${extra.join(", ")}}` : ""}`;
    }
    if (Array.isArray(o)) {
      const items: string[] = [];
      for (let i = 0; i < o.length; i++) items.push(i in o ? go(o[i]) : "<hole>");
      const extra = own((k) => String(Number(k) >>> 0) === k && Number(k) < o.length);
      return `${proto === Array.prototype ? "" : "<subclass>"}[${[...items, ...extra].join(", ")}]`;
    }
    if (o instanceof Map) return `Map{${[...o].map(([k, x]) => `${go(k)} => ${go(x)}`).join(", ")}}`;
    if (o instanceof Set) return `Set{${[...o].map(go).join(", ")}}`;
    if (o instanceof Date) return `Date(${Number.isNaN(o.getTime()) ? "invalid" : o.toISOString()})`;
    if (o instanceof RegExp) return `RegExp(${String(o)}, lastIndex ${o.lastIndex})`;
    if (ArrayBuffer.isView(o)) return `${o.constructor.name}[${Array.from(o as unknown as ArrayLike<unknown>, go).join(", ")}]`;
    if (o instanceof ArrayBuffer) return `ArrayBuffer[${new Uint8Array(o).join(", ")}]`;
    const kind = proto === null ? "null-proto" : proto === Object.prototype ? "" : ((proto as { constructor?: { name?: string } }).constructor?.name ?? "?");
    return `${kind}{${own(() => false).join(", ")}}`;
  };
  return go(value);
}
