/**
 * What an upgrade of a running application to a new version of its code may change
 * (docs/live.md, "Upgrades"): the code, not the graph. A new version must have the same parts
 * at the same paths (streams, generators, sequencers, splitters, splits, connections, workflows
 * and their tasks by name), so its state, positions and parked continuations are put back where
 * they were. Operators whose code changed must have no parked continuation, since those resume
 * at a point of the old code.
 */
import { ApplicationError } from "../core/errors.js";
import { operatorMachines } from "../core/spec.js";
import type { Application } from "../api/application.js";
import type { Engine } from "../engine/engine.js";
import type { Plan } from "../graph/plan.js";
import { LiveError } from "./live-error.js";

/**
 * How `next` differs from `current` in its parts, one message per difference (none: an upgrade
 * can put the state back).
 */
export function shapeChanges(current: Plan, next: Plan): string[] {
  const problems: string[] = [];
  const compare = (what: string, a: readonly string[], b: readonly string[]): void => {
    const gone = a.filter((p) => !b.includes(p));
    const added = b.filter((p) => !a.includes(p));
    if (gone.length > 0) problems.push(`${what} ${gone.join(", ")} ${gone.length === 1 ? "is" : "are"} gone`);
    if (added.length > 0) problems.push(`${what} ${added.join(", ")} ${added.length === 1 ? "is" : "are"} new`);
  };
  compare("stream", current.streams.map((s) => s.path), next.streams.map((s) => s.path));
  compare("generator", current.generators.map((g) => g.path), next.generators.map((g) => g.path));
  compare("sequencer", current.sequencers.map((s) => s.path), next.sequencers.map((s) => s.path));
  compare("splitter", current.splitters.map((s) => s.path), next.splitters.map((s) => s.path));
  compare("split", current.splits.map((s) => s.path), next.splits.map((s) => s.path));
  compare("connection", current.connections.map((c) => c.path), next.connections.map((c) => c.path));
  compare("workflow", current.workflows.map((w) => w.path), next.workflows.map((w) => w.path));
  for (const w of current.workflows) {
    const after = next.workflows.find((n) => n.path === w.path);
    if (after === undefined) continue;
    const before = w.tasks.map((t) => t.name).join(", ");
    const now = after.tasks.map((t) => t.name).join(", ");
    if (before !== now) problems.push(`workflow ${w.path} had the tasks ${before} and has ${now}`);
    if ((w.target === undefined) !== (after.target === undefined)) problems.push(`workflow ${w.path} ${w.target === undefined ? "gained" : "lost"} its sink`);
  }
  return problems;
}

/** The tasks (`<workflow path>/<task name>`) of `next` whose compiled code differs from `current`'s. */
export function changedOperators(current: Plan, next: Plan): string[] {
  const changed: string[] = [];
  for (const w of next.workflows) {
    const before = current.workflows.find((c) => c.path === w.path);
    w.tasks.forEach((t, i) => {
      const versions = (task: typeof t | undefined): string =>
        task === undefined ? "" : [...operatorMachines(task.spec).values()].map((m) => `${m.id}@${m.version}`).join();
      if (versions(before?.tasks[i]) !== versions(t)) changed.push(`${w.path}/${t.name}`);
    });
  }
  return changed;
}

/** Of `tasks` (`<workflow path>/<task name>`), those with parked continuations in `engine`, as `task (count)`. */
export function parkedIn(engine: Engine, plans: readonly Plan[], tasks: readonly string[]): string[] {
  return tasks.flatMap((task) => {
    const at = task.lastIndexOf("/");
    const plan = plans.flatMap((p) => p.workflows).find((w) => w.path === task.slice(0, at));
    const i = plan?.tasks.findIndex((t) => t.name === task.slice(at + 1)) ?? -1;
    const n = i < 0 ? 0 : (engine.workflows.get(task.slice(0, at))?.runners[i]?.parkedCount ?? 0);
    return n > 0 ? [`${task} (${n})`] : [];
  });
}

/**
 * Holds `engine`'s sources until `parked()` is empty, checking every 5 ms.
 *
 * @throws LiveError `timeout` naming what is still parked after `timeoutMs`
 */
export async function drain(engine: Engine, parked: () => string[], timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  engine.holdSources(true);
  try {
    while (parked().length > 0) {
      if (performance.now() > until) throw new LiveError("timeout", `draining for the upgrade took longer than ${timeoutMs} ms: still parked in ${parked().join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    engine.holdSources(false);
  }
}

/**
 * What upgrading `running` applications to `apps` replaces (each new version by the path of the
 * application it replaces) and the tasks whose compiled code changes.
 *
 * @throws ApplicationError listing every application that is not running or whose graph changed
 */
export function planUpgrade(running: readonly Application[], apps: readonly Application[]): { replaced: Map<string, Application>; changed: string[] } {
  const problems: string[] = [];
  const replaced = new Map<string, Application>();
  const changed: string[] = [];
  for (const app of apps) {
    const current = running.find((a) => a.name === app.name);
    if (current === undefined) {
      problems.push(`${app.path}: no such application is running; launch it instead`);
      continue;
    }
    problems.push(...shapeChanges(current.plan, app.plan).map((p) => `${app.path}: ${p}; an upgrade changes the code, not the graph`));
    replaced.set(current.path, app);
    changed.push(...changedOperators(current.plan, app.plan));
  }
  if (problems.length > 0) throw new ApplicationError(apps.map((a) => a.path).join(", "), problems);
  return { replaced, changed };
}

/** The names of `others` (but `app`) that ask a portal of `app`. */
export function askersOf(app: Application, others: readonly Application[]): string[] {
  return others
    .filter((other) => other !== app && other.plan.requires.some((r) => r.what.startsWith("portal ") && r.path.startsWith(`${app.path}/`)))
    .map((other) => other.name);
}
