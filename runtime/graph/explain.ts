/**
 * The expanded graph (the plan) as text (`app.explain()`, `portals plan <module>`): one line
 * per component of the plan, in launch order, internal ones (made by portal expansion) marked `[internal]`,
 * and one line per task: its name, its kind (unless its default name `map#2` says it), the
 * portal it serves, its inputs and whether it feeds the sink.
 * There is no portal line: portals exist only as the sequencers, splitters and streams that
 * implement them.
 */
import { taskLabel } from "../core/spec.js";
import type { Plan } from "./plan.js";

/** Renders `plan`; see the module header. */
export function explain(plan: Plan): string {
  const lines: string[] = [`application ${plan.app}`];
  const mark = (internal: boolean): string => (internal ? " [internal]" : "");
  for (const g of plan.generators) lines.push(`  generator ${g.path} (${g.source.kind}) -> ${g.stream}`);
  for (const s of plan.sequencers) {
    const inputs = plan.connections.filter((c) => c.sequencer === s.path).map((c) => c.stream);
    lines.push(`  sequencer ${s.path}${mark(s.internal)} <- [${inputs.join(", ")}] -> ${s.stream}`);
  }
  for (const c of plan.connections) {
    if (!plan.sequencers.some((s) => s.path === c.sequencer)) lines.push(`  connection ${c.path}${mark(c.internal)}: ${c.stream} -> ${c.sequencer}`);
  }
  for (const s of plan.splitters) lines.push(`  splitter ${s.path}${mark(s.internal)} <- ${s.source}`);
  for (const s of plan.splits) lines.push(`  split ${s.path}${mark(s.internal)} of ${s.splitter} -> ${s.stream}`);
  for (const w of plan.workflows) {
    const dead = w.deadLetters === undefined ? "" : ` (dead letters -> ${w.deadLetters})`;
    lines.push(`  workflow ${w.path} <- ${w.source} -> ${w.stream}${dead}${w.portals ? ` (portal messages -> ${w.portals.out})` : ""}`);
    w.tasks.forEach((t, i) => {
      const from = t.inputs.map((j) => (j < 0 ? "source" : w.tasks[j]!.name)).join(", ");
      const serves = [...(w.portals?.serves ?? [])].filter(([, s]) => s.task === i).map(([p]) => ` serves ${p}`).join("");
      // A default name (`map#2`) says the kind already.
      const kind = t.name.startsWith(`${taskLabel(t.spec)}#`) ? "" : ` ${t.spec.kind}`;
      lines.push(`    task ${t.name}${kind}${serves} <- ${from}${w.sinks.includes(i) ? " -> sink" : ""}`);
    });
  }
  return lines.join("\n");
}
