/**
 * Well-formedness of an application model (DESIGN §7), checked by `build()`. Problems that need
 * the running system (an unknown registry path, a consumer of an application not launched) are
 * checked at launch by the engine. Each problem is one message naming the part and the fix.
 */
import { isMachine } from "../engine/machine.js";
import { allSpecs, callbackSlots, type TaskSpec } from "../api/tasks.js";
import { portalUse } from "./lower.js";
import type { AppModel, WorkflowNode } from "./model.js";

const REGISTRY_SHAPES: Record<string, RegExp> = {
  stream: /^\/[^/]+\/(workflows|generators|sequencers|splits)\/[^/]+\/stream$/,
  sequencer: /^\/[^/]+\/sequencers\/[^/]+$/,
  splitter: /^\/[^/]+\/splitters\/[^/]+$/,
  portal: /^\/[^/]+\/portals\/[^/]+$/,
};

const REGISTRY_EXAMPLES: Record<string, string> = {
  stream: "/<app>/workflows/<name>/stream",
  sequencer: "/<app>/sequencers/<name>",
  splitter: "/<app>/splitters/<name>",
  portal: "/<app>/portals/<name>",
};

/** Returns every problem of `model` (empty when it is well formed). */
export function validate(model: AppModel): string[] {
  const problems: string[] = [];
  checkUniquePaths(model, problems);
  checkRegistry(model, problems);
  for (const w of model.workflows) checkWorkflow(w, problems);
  checkPortals(model, problems);
  return problems;
}

function checkUniquePaths(model: AppModel, problems: string[]): void {
  const seen = new Map<string, string>();
  const claim = (path: string, what: string): void => {
    const previous = seen.get(path);
    if (previous !== undefined) {
      problems.push(`${what} ${path} has the same path as another ${previous}: give one of them another name`);
    } else {
      seen.set(path, what);
    }
  };
  for (const g of model.generators) claim(g.path, "generator");
  for (const s of model.sequencers) claim(s.path, "sequencer");
  for (const s of model.splitters) claim(s.path, "splitter");
  for (const s of model.splits) claim(s.path, "split");
  for (const c of model.connections) claim(c.path, "connection");
  for (const p of model.portals) claim(p.path, "portal");
  for (const w of model.workflows) claim(w.path, "workflow");
}

function checkRegistry(model: AppModel, problems: string[]): void {
  for (const ext of model.external) {
    if (!REGISTRY_SHAPES[ext.kind]!.test(ext.path)) {
      problems.push(
        `registry.${ext.kind}s.get(${JSON.stringify(ext.path)}): not a ${ext.kind} path; expected ${REGISTRY_EXAMPLES[ext.kind]}`,
      );
    } else if (ext.path.startsWith(model.path + "/")) {
      problems.push(
        `registry.${ext.kind}s.get(${JSON.stringify(ext.path)}) refers to this application: use the ref the builder returned instead`,
      );
    }
  }
}

function checkWorkflow(w: WorkflowNode, problems: string[]): void {
  if (w.source === undefined) problems.push(`workflow ${w.path} has no source: call .source(stream) first`);
  if (w.sinks.length === 0) problems.push(`workflow ${w.path} has no sink: end a flow with .sink()`);
  const names = new Set<string>();
  for (const t of w.tasks) {
    if (names.has(t.name)) problems.push(`workflow ${w.path} has two tasks named ${t.name}: rename one with withName`);
    names.add(t.name);
    checkCallbacks(t.spec, `workflow ${w.path}, task ${t.name}`, problems);
  }
}

/** Every callback slot of a task must hold a function or a compiled machine. */
function checkCallbacks(spec: TaskSpec, where: string, problems: string[]): void {
  for (const s of allSpecs(spec)) {
    for (const [what, value] of callbackSlots(s)) {
      if (typeof value !== "function" && !isMachine(value)) {
        problems.push(`${where} (${s.kind}): ${what} must be a function, got ${value === null ? "null" : typeof value}`);
      }
    }
    if (s.kind === "vsm" && s.initial?.kind !== "vsm-behavior") {
      problems.push(`${where} (vsm): the initial state must come from VSM.processor(...)`);
    }
  }
}

function checkPortals(model: AppModel, problems: string[]): void {
  const repliers = new Map<string, string[]>();
  for (const w of model.workflows) {
    for (const t of w.tasks) {
      for (const p of portalUse(t.spec).serves) {
        const where = `workflow ${w.path}, task ${t.name}`;
        if (!p.path.startsWith(model.path + "/")) {
          problems.push(`${where} replies to portal ${p.path} of another application: a portal is served in the application that defines it`);
        }
        repliers.set(p.path, [...(repliers.get(p.path) ?? []), where]);
      }
    }
  }
  for (const p of model.portals) {
    const found = repliers.get(p.path) ?? [];
    if (found.length === 0) {
      problems.push(`portal ${p.path} has no replier: add .replier(portal, onNext, onAsk) or .askerReplier(...) to a workflow`);
    } else if (found.length > 1) {
      problems.push(`portal ${p.path} has ${found.length} repliers (${found.join("; ")}): a portal has exactly one`);
    }
  }
  for (const path of repliers.keys()) {
    if (path.startsWith(model.path + "/") && !model.portals.some((p) => p.path === path)) {
      problems.push(`portal ${path} is replied to but not defined: create it with app.portal(...)`);
    }
  }
}
