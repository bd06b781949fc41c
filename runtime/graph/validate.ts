/**
 * Well-formedness of an application model, checked by `build()`. Problems that need
 * the running system (an unknown registry path, a consumer of an application not launched) are
 * checked at launch by the engine. Each problem is one message naming the part and the fix.
 */
import { isOwnPath, PATH_EXAMPLES, PATH_SHAPES } from "../core/paths.js";
import { allSpecs, callbackProblems, portalUse, type TaskSpec } from "../core/spec.js";
import { isVsmBehavior } from "../core/vsm.js";
import type { AppModel, WorkflowNode } from "./model.js";

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
    if (!PATH_SHAPES[ext.kind].test(ext.path)) {
      problems.push(
        `registry.${ext.kind}s.get(${JSON.stringify(ext.path)}): not a ${ext.kind} path; expected ${PATH_EXAMPLES[ext.kind]}`,
      );
    } else if (isOwnPath(model.path, ext.path)) {
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
  problems.push(...callbackProblems(spec, where));
  for (const s of allSpecs(spec)) {
    if (s.kind === "vsm" && !isVsmBehavior(s.initial)) {
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
        if (!isOwnPath(model.path, p.path)) {
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
    if (isOwnPath(model.path, path) && !model.portals.some((p) => p.path === path)) {
      problems.push(`portal ${path} is replied to but not defined: create it with app.portal(...)`);
    }
  }
}
