/**
 * Task specs: the plain description of an operator that the builders (`api/`) record and the
 * engine instantiates when an application launches. A spec is immutable and holds the user's
 * callbacks (functions, or the machines the compiler made of async ones). The queries below
 * are the one place that knows how specs nest (combinators) and where their callbacks sit.
 */
import type { OperatorError } from "./errors.js";
import type { Key } from "./key.js";
import { isMachine, machineOf, type Machine } from "./machine.js";
import type { VsmBehavior } from "./vsm.js";

/** An operator callback, or the machine the compiler made of an async one. */
export type Callback = ((...args: any[]) => unknown) | Machine;

/** What a spec knows of a portal: its path, and the routing key of its requests if it has one. */
export interface PortalAddress {
  readonly kind: "portal";
  /** Path of the portal, `/<app>/portals/<name>`. */
  readonly path: string;
  /** Routing key of a request (the replier serves it under this key). */
  readonly key?: (request: any) => Key;
}

/** Hook overrides set by `withOnNext`, `withOnAtomComplete`, `withOnComplete`, `withOnError`. */
export interface Hooks {
  readonly onNext?: Callback;
  readonly onAtomComplete?: (ctx: any) => void;
  readonly onComplete?: (ctx: any) => void;
  readonly onError?: (error: OperatorError, ctx: any) => void;
}

/** The plain description of a task. `kind` selects the behaviour (see `Tasks.*` in `api/tasks.ts`). */
export type TaskSpec = (
  | { readonly kind: "map" | "filter" | "flatMap" | "processor" | "key"; readonly fn: Callback }
  | { readonly kind: "identity" }
  | { readonly kind: "logger"; readonly prefix: string }
  | { readonly kind: "init"; readonly factory: (ctx: any) => unknown }
  | { readonly kind: "asker"; readonly asks: readonly PortalAddress[]; readonly fn: Callback }
  | {
      readonly kind: "replier";
      readonly asks: readonly PortalAddress[];
      readonly replies: PortalAddress;
      readonly fn: Callback;
      readonly onAsk: Callback;
    }
  | { readonly kind: "vsm"; readonly initial: VsmBehavior<any, any> }
  | { readonly kind: "steps"; readonly steps: readonly { readonly spec: TaskSpec; readonly atoms: number }[] }
  | { readonly kind: "andThen"; readonly first: TaskSpec; readonly second: TaskSpec }
  | { readonly kind: "wrapper"; readonly inner: TaskSpec; readonly wrapper: (...args: any[]) => void }
) & { readonly name?: string; readonly hooks?: Hooks };

const KINDS = new Set<string>(["map", "filter", "flatMap", "processor", "key", "identity", "logger", "init", "asker", "replier", "vsm", "steps", "andThen", "wrapper"]);

/**
 * The spec of a task object (what `Tasks.*` builds: an object with a `spec`), or `undefined`
 * when `x` is not one. Structural, so a task made by another copy of the package is a task too.
 */
export function specOf(x: unknown): TaskSpec | undefined {
  const spec = (x as { spec?: { kind?: unknown } } | null)?.spec;
  return typeof spec === "object" && spec !== null && KINDS.has(spec.kind as string) ? (spec as TaskSpec) : undefined;
}

/** The task specs directly inside a combinator spec (`steps`, `andThen`, `wrapper`). */
export function nestedSpecs(spec: TaskSpec): readonly TaskSpec[] {
  switch (spec.kind) {
    case "steps":
      return spec.steps.map((s) => s.spec);
    case "andThen":
      return [spec.first, spec.second];
    case "wrapper":
      return [spec.inner];
    default:
      return [];
  }
}

/** `spec` and every spec nested in it, depth first. */
export function allSpecs(spec: TaskSpec): TaskSpec[] {
  return [spec, ...nestedSpecs(spec).flatMap(allSpecs)];
}

/** The callback slots of `spec` itself (not of nested specs), as `[what, value]` pairs. */
export function callbackSlots(spec: TaskSpec): [string, unknown][] {
  const slots: [string, unknown][] = Object.entries(spec.hooks ?? {});
  switch (spec.kind) {
    case "map":
    case "filter":
    case "flatMap":
    case "processor":
    case "key":
    case "asker":
      slots.push(["the callback", spec.fn]);
      break;
    case "replier":
      slots.push(["the event handler (onNext)", spec.fn], ["the request handler (onAsk)", spec.onAsk]);
      break;
    case "init":
      slots.push(["the factory", spec.factory]);
      break;
    case "wrapper":
      slots.push(["the wrapper", spec.wrapper]);
      break;
    default:
  }
  return slots;
}

/**
 * Every callback of `spec` (nested ones included) that is neither a function nor a compiled
 * machine, one message each: `<where> (<kind>): <slot> must be a function, got <type>`.
 */
export function callbackProblems(spec: TaskSpec, where: string): string[] {
  const problems: string[] = [];
  for (const s of allSpecs(spec)) {
    for (const [what, value] of callbackSlots(s)) {
      if (typeof value !== "function" && !isMachine(value)) {
        problems.push(`${where} (${s.kind}): ${what} must be a function, got ${value === null ? "null" : typeof value}`);
      }
    }
  }
  return problems;
}

/** The portals a task asks and the portal it serves, looking inside combinators. */
export function portalUse(spec: TaskSpec): { asks: PortalAddress[]; serves: PortalAddress[] } {
  const asks: PortalAddress[] = [];
  const serves: PortalAddress[] = [];
  for (const s of allSpecs(spec)) {
    if (s.kind === "asker" || s.kind === "replier") asks.push(...s.asks);
    if (s.kind === "replier") serves.push(s.replies);
  }
  return { asks: distinctPortals(asks), serves: distinctPortals(serves) };
}

/** `portals` without repeated paths, first occurrence kept. */
export function distinctPortals<P extends { readonly path: string }>(portals: readonly P[]): P[] {
  const seen = new Set<string>();
  return portals.filter((p) => !seen.has(p.path) && seen.add(p.path));
}

/** The request handler of a replier task, looking inside combinators. */
export function requestHandlerOf(spec: TaskSpec): Callback | undefined {
  for (const s of allSpecs(spec)) if (s.kind === "replier") return s.onAsk;
  return undefined;
}

/** The machines of every compiled callback of `spec` (nested ones included), by id. */
export function operatorMachines(spec: TaskSpec): Map<string, Machine> {
  const out = new Map<string, Machine>();
  for (const s of allSpecs(spec)) {
    for (const [, value] of callbackSlots(s)) {
      const m = machineOf(value);
      if (m !== undefined) out.set(m.id, m);
    }
  }
  return out;
}

/**
 * What a task is called after when it has no `withName` name: its kind, `askerReplier` for a
 * replier that also asks, or `label` when the builder knows better (`union`, `sink`).
 */
export function taskLabel(spec: TaskSpec): string {
  return spec.kind === "replier" && spec.asks.length > 0 ? "askerReplier" : spec.kind;
}

/**
 * The name of a task without a `withName` name: `<label>#<position>`, its label (see
 * {@link taskLabel}) and its 1-based position in the workflow, in the order the flow added it,
 * e.g. `map#2` for the second task, a map. Positions are unique, so default names are too.
 */
export function defaultTaskName(label: string, position: number): string {
  return `${label}#${position}`;
}
