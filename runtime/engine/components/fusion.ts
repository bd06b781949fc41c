/**
 * Operator fusion: a chain of stateless tasks runs as one loop over the atom, each
 * event passing through all of them before the next event, with no intermediate arrays.
 *
 * A task is *stateless* here when it is a `map`, `filter` or `key` whose callback is a plain
 * function that does not take the task context (`(x) => …`, one parameter at most) and has no
 * hooks: it cannot read or write state, log, or emit through the system, so running it event
 * by event instead of task by task (docs/semantics.md, rule 2) cannot be told apart. A chain is a run of such
 * tasks in which each feeds only the next and only the last may feed the sink.
 *
 * If a callback throws, the fused result of the atom is dropped and the tasks run one by one
 * instead, so a failure is reported exactly as without fusion (the callbacks run again: being
 * stateless, that is harmless).
 *
 * The fused loop is generated for each chain (see `compile`): one `for` over the atom with the
 * callbacks called in turn, as a hand-written loop would.
 */
import { machineOf } from "../../core/machine.js";
import type { TaskSpec } from "../../core/spec.js";
import { refusePromise } from "../../core/uncompiled.js";
import type { TaskNode } from "../../graph/model.js";
import type { Batch } from "../atom.js";
import { keyOfEvent } from "../tasks/behaviors.js";

/** One stateless step of a fused chain. */
interface Stateless {
  readonly kind: "map" | "filter" | "key";
  readonly fn: (event: unknown) => unknown;
  /** Name of the task (for messages). */
  readonly task: string;
}

/** A fused chain: tasks `first`..`last` of a workflow. */
export interface Fused {
  readonly first: number;
  readonly last: number;
  /** Runs the chain over `input` and returns its output; throws what a callback threw. */
  run(input: Batch): Batch;
}

/** The stateless step of `spec`, or `undefined` if it is not one (see the module header). */
function stateless(node: TaskNode): Stateless | undefined {
  const spec: TaskSpec = node.spec;
  if (spec.hooks !== undefined) return undefined;
  if (spec.kind !== "map" && spec.kind !== "filter" && spec.kind !== "key") return undefined;
  const fn = spec.fn;
  if (typeof fn !== "function" || machineOf(fn) !== undefined || fn.length > 1) return undefined;
  if (Object.prototype.toString.call(fn) !== "[object Function]") return undefined; // async or generator
  return { kind: spec.kind, fn: fn as (event: unknown) => unknown, task: node.name };
}

/**
 * The fused chains of a workflow's tasks (`sinks`: indices of the tasks feeding the sink).
 * A single stateless task is a chain too: its loop beats a call per event.
 */
export function fuse(workflow: string, tasks: readonly TaskNode[], sinks: readonly number[]): Fused[] {
  const consumers = tasks.map(() => 0);
  for (const t of tasks) for (const i of t.inputs) if (i >= 0) consumers[i]!++;
  const chains: Fused[] = [];
  let i = 0;
  while (i < tasks.length) {
    const steps: Stateless[] = [];
    let j = i;
    while (j < tasks.length) {
      const step = stateless(tasks[j]!);
      if (step === undefined) break;
      if (j > i && (tasks[j]!.inputs.length !== 1 || tasks[j]!.inputs[0] !== j - 1)) break;
      steps.push(step);
      // The chain continues only through a task whose output goes to the next task alone.
      if (consumers[j] !== 1 || sinks.includes(j) || tasks[j + 1]?.inputs[0] !== j) break;
      j++;
    }
    const last = i + steps.length - 1;
    if (steps.length >= 1) chains.push({ first: i, last, run: compile(workflow, steps) });
    i = Math.max(i + 1, last + 1);
  }
  return chains;
}

/**
 * The fused loop, generated for this chain: the callbacks are bound as `f0`, `f1`, …, so each
 * call site in the loop sees one function and the JIT can inline it, as in a hand-written loop.
 * Results that are objects are checked for promises (`refusePromise`).
 */
function compile(workflow: string, steps: readonly Stateless[]): Fused["run"] {
  const body = steps
    .map((step, s) => {
      const check = `if (typeof r === "object") refusePromise(r, workflow, t${s});`;
      switch (step.kind) {
        case "map":
          return `r = f${s}(v); ${check} v = r;`;
        case "filter":
          return `r = f${s}(v); if (r !== true) { if (r === false || !r) continue; ${check} }`;
        case "key":
          return `k = keyOfEvent(f${s}(v));`;
      }
    })
    .join("\n      ");
  const names = steps.flatMap((_, s) => [`f${s}`, `t${s}`]);
  // No step emits more than it takes: the output arrays are allocated at the input's length and
  // trimmed at the end, which costs a third of growing them by push.
  const source = `return function fused(input) {
    const keys = input.keys, values = input.values, length = values.length;
    const ok = new Array(length), ov = new Array(length);
    let n = 0;
    for (let i = 0; i < length; i++) {
      let k = keys[i], v = values[i], r;
      ${body}
      ok[n] = k;
      ov[n++] = v;
    }
    ok.length = n;
    ov.length = n;
    return { keys: ok, values: ov, error: input.error };
  };`;
  const make = new Function("refusePromise", "keyOfEvent", "workflow", ...names, source) as (...args: unknown[]) => Fused["run"];
  return make(refusePromise, keyOfEvent, workflow, ...steps.flatMap((step) => [step.fn, step.task]));
}
