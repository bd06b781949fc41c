/**
 * `portals plan`: what a module's applications are made of, as text or as a graph to draw.
 *
 * The default view is the applications as their authors wrote them (`app.model`): generators,
 * sequencers, splitters and splits, workflows with their tasks, and portals with the workflow
 * that serves each and the workflows that ask it, and the parts of other applications reached
 * through the registry. The expanded view (`--expanded`) is the plan the engine runs
 * (`app.plan`), portals expanded into the sequencers, splitters and streams that carry their
 * traffic (`app.explain()` as text). Both draw as Graphviz DOT or Mermaid (`--format`).
 */
import type { Application } from "../api/application.js";
import { portalUse, taskLabel } from "../core/spec.js";
import type { AppModel } from "../graph/model.js";
import type { Plan } from "../graph/plan.js";

/** How `portals plan` prints. */
export type PlanFormat = "text" | "dot" | "mermaid";

/** The formats of {@link PlanFormat}, for the option's help and check. */
export const PLAN_FORMATS: readonly PlanFormat[] = ["text", "dot", "mermaid"];

/**
 * The plan of `apps` (one module's applications, in launch order) in `format`, `expanded` or
 * as written; see the module header. Text ends without a newline.
 */
export function renderPlan(apps: readonly Application[], options: { readonly expanded?: boolean; readonly format?: PlanFormat } = {}): string {
  const format = options.format ?? "text";
  if (format === "text") return options.expanded ? apps.map((a) => a.explain()).join("\n") : apps.map((a) => summary(a.model, apps)).join("\n");
  const graph = options.expanded ? expandedGraph(apps.map((a) => a.plan)) : modelGraph(apps);
  return format === "dot" ? dot(graph) : mermaid(graph);
}

/** The kind of a part, as named in the text and the graph. */
type Kind = "generator" | "sequencer" | "splitter" | "split" | "workflow" | "portal" | "stream";

const PLURAL: Record<string, Kind> = {
  generators: "generator",
  sequencers: "sequencer",
  splitters: "splitter",
  splits: "split",
  workflows: "workflow",
  portals: "portal",
};

/** `/<app>/<kinds>/<name>` or a stream path `…/stream`, taken apart. */
function part(path: string): { app: string; kind: Kind; name: string } {
  const [, app = "", kinds = "", ...name] = producer(path).split("/");
  return { app: `/${app}`, kind: PLURAL[kinds] ?? "stream", name: name.join("/") };
}

/** The node that writes stream `stream` (the part whose path it extends); other paths as they are. */
function producer(stream: string): string {
  return stream.endsWith("/stream") ? stream.slice(0, -"/stream".length) : stream;
}

/** `kind name` for a part of `app`, `kind /path` for a part of another application. */
function label(path: string, app: string): string {
  const p = part(path);
  if (p.kind === "stream") return `stream ${path}`;
  return `${p.kind} ${p.app === app ? p.name : producer(path)}`;
}

/** The task list of a workflow: each task's name, with its kind (as the builder method) when the name does not say it (`map#2` does). */
function taskList(tasks: AppModel["workflows"][number]["tasks"]): string {
  return tasks
    .map((t) => {
      const kind = taskLabel(t.spec);
      return t.name.startsWith(`${kind}#`) ? t.name : `${t.name} (${kind})`;
    })
    .join(", ");
}

/** `workflow a`, `workflows a, b` */
function workflows(paths: readonly string[], app: string): string {
  const names = paths.map((p) => label(p, app).replace(/^workflow /, ""));
  return `${names.length === 1 ? "workflow" : "workflows"} ${names.join(", ")}`;
}

/** Who serves and who asks each portal, over all `apps`. */
function portalRoles(apps: readonly Application[]): Map<string, { servedBy: string[]; askedBy: string[] }> {
  const roles = new Map<string, { servedBy: string[]; askedBy: string[] }>();
  const role = (portal: string) => roles.get(portal) ?? roles.set(portal, { servedBy: [], askedBy: [] }).get(portal)!;
  for (const app of apps) {
    for (const w of app.model.workflows) {
      for (const t of w.tasks) {
        const use = portalUse(t.spec);
        for (const p of use.serves) if (!role(p.path).servedBy.includes(w.path)) role(p.path).servedBy.push(w.path);
        for (const p of use.asks) if (!role(p.path).askedBy.includes(w.path)) role(p.path).askedBy.push(w.path);
      }
    }
  }
  return roles;
}

/** The short text of one application (`all`: the module's applications, for portal roles). */
function summary(model: AppModel, all: readonly Application[]): string {
  const app = model.path;
  const lines = [`application ${app}`];
  for (const g of model.generators) lines.push(`  generator ${part(g.path).name} (${g.source.kind})`);
  for (const s of model.sequencers) {
    const inputs = model.connections.filter((c) => c.sequencer === s.path).map((c) => label(c.stream, app));
    lines.push(`  sequencer ${part(s.path).name} <- ${inputs.length === 0 ? "nothing yet" : inputs.join(", ")}`);
  }
  for (const c of model.connections) {
    if (!model.sequencers.some((s) => s.path === c.sequencer)) lines.push(`  connection ${label(c.stream, app)} -> ${label(c.sequencer, app)}`);
  }
  for (const s of model.splitters) {
    const splits = model.splits.filter((x) => x.splitter === s.path).map((x) => part(x.path).name);
    lines.push(`  splitter ${part(s.path).name} <- ${label(s.source, app)}${splits.length > 0 ? `: splits ${splits.join(", ")}` : ""}`);
  }
  for (const x of model.splits) {
    if (!model.splitters.some((s) => s.path === x.splitter)) lines.push(`  split ${part(x.path).name} of ${label(x.splitter, app)}`);
  }
  for (const w of model.workflows) {
    const sink = w.target === undefined ? "" : " -> transactional sink";
    lines.push(`  workflow ${part(w.path).name} <- ${w.source === undefined ? "no source" : label(w.source, app)}: ${taskList(w.tasks)}${sink}`);
  }
  const roles = portalRoles(all);
  const portals = [...model.portals.map((p) => ({ path: p.path, keyed: p.key !== undefined })), ...model.external.filter((e) => e.kind === "portal").map((e) => ({ path: e.path, keyed: false }))];
  for (const p of portals) {
    const { servedBy = [], askedBy = [] } = roles.get(p.path) ?? {};
    const served = servedBy.length === 0 ? "served by no workflow here" : `served by ${workflows(servedBy, app)}`;
    const asked = askedBy.length === 0 ? "asked by none" : `asked by ${workflows(askedBy, app)}`;
    lines.push(`  ${label(p.path, app)}${p.keyed ? " (keyed)" : ""}: ${served}; ${asked}`);
  }
  const registry = model.external.filter((e) => e.kind !== "portal").map((e) => `${e.kind} ${e.path}`);
  if (registry.length > 0) lines.push(`  from the registry: ${registry.join(", ")}`);
  return lines.join("\n");
}

/** A graph to draw: nodes grouped by application, edges between node paths. */
interface Graph {
  readonly nodes: { readonly path: string; readonly app: string; readonly kind: Kind; readonly label: string; readonly internal: boolean }[];
  readonly edges: { readonly from: string; readonly to: string; readonly label?: string; readonly dashed?: boolean }[];
}

/** A graph builder that adds a node once, and a node of another application when an edge needs one. */
function graphBuilder(): Graph & { node(path: string, internal?: boolean, text?: string): void; edge(from: string, to: string, label?: string, dashed?: boolean): void } {
  const nodes: Graph["nodes"] = [];
  const edges: Graph["edges"] = [];
  const seen = new Set<string>();
  const node = (path: string, internal = false, text?: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    const p = part(path);
    nodes.push({ path, app: p.app, kind: p.kind, label: text ?? `${p.kind} ${p.name}`, internal });
  };
  return {
    nodes,
    edges,
    node,
    edge(from, to, label, dashed) {
      node(from);
      node(to);
      edges.push({ from, to, ...(label === undefined ? {} : { label }), ...(dashed ? { dashed } : {}) });
    },
  };
}

/** The applications as written: parts, the streams between them, and portal requests. */
function modelGraph(apps: readonly Application[]): Graph {
  const g = graphBuilder();
  for (const { model } of apps) {
    for (const x of model.generators) g.node(x.path, false, `generator ${part(x.path).name} (${x.source.kind})`);
    for (const x of model.sequencers) g.node(x.path);
    for (const x of model.splitters) g.node(x.path);
    for (const x of model.splits) g.node(x.path);
    for (const x of model.workflows) g.node(x.path, false, `workflow ${part(x.path).name}: ${taskList(x.tasks)}`);
    for (const x of model.portals) g.node(x.path);
  }
  for (const { model } of apps) {
    for (const x of model.connections) g.edge(producer(x.stream), x.sequencer);
    for (const x of model.splitters) g.edge(producer(x.source), x.path);
    for (const x of model.splits) g.edge(x.splitter, x.path);
    for (const x of model.workflows) if (x.source !== undefined) g.edge(producer(x.source), x.path);
  }
  for (const [portal, { servedBy, askedBy }] of portalRoles(apps)) {
    for (const w of askedBy) g.edge(w, portal, "asks", true);
    for (const w of servedBy) g.edge(portal, w, "served by", true);
  }
  return g;
}

/** The plans: every component, internal ones marked, and the streams between them. */
function expandedGraph(plans: readonly Plan[]): Graph {
  const g = graphBuilder();
  const writers = new Map<string, string>();
  for (const plan of plans) {
    for (const x of plan.generators) (g.node(x.path, x.internal, `generator ${part(x.path).name} (${x.source.kind})`), writers.set(x.stream, x.path));
    for (const x of plan.sequencers) (g.node(x.path, x.internal, `sequencer ${x.path}`), writers.set(x.stream, x.path));
    for (const x of plan.splitters) g.node(x.path, x.internal, `splitter ${x.path}`);
    for (const x of plan.splits) (g.node(x.path, x.internal, `split ${x.path}`), writers.set(x.stream, x.path));
    for (const x of plan.workflows) {
      g.node(x.path, x.internal, `workflow ${part(x.path).name}: ${taskList(x.tasks)}`);
      writers.set(x.stream, x.path);
      if (x.portals !== undefined) writers.set(x.portals.out, x.path);
    }
  }
  const from = (stream: string): string => writers.get(stream) ?? producer(stream);
  for (const plan of plans) {
    for (const x of plan.connections) g.edge(from(x.stream), x.sequencer, undefined, x.internal);
    for (const x of plan.splitters) g.edge(from(x.source), x.path, undefined, x.internal);
    for (const x of plan.splits) g.edge(x.splitter, x.path, undefined, x.internal);
    for (const x of plan.workflows) g.edge(from(x.source), x.path);
  }
  return g;
}

const DOT_SHAPES: Record<Kind, string> = {
  generator: "ellipse",
  sequencer: "invtrapezium",
  splitter: "trapezium",
  split: "cds",
  workflow: "box",
  portal: "hexagon",
  stream: "plaintext",
};

/** Graphviz DOT: one cluster per application; internal parts and portal traffic dashed. */
function dot(graph: Graph): string {
  const q = (text: string): string => JSON.stringify(text);
  const lines = ["digraph portals {", "  rankdir=LR;", "  node [fontname=Helvetica];"];
  for (const app of [...new Set(graph.nodes.map((n) => n.app))]) {
    lines.push(`  subgraph ${q(`cluster_${app}`)} {`, `    label=${q(app)};`);
    for (const n of graph.nodes.filter((x) => x.app === app)) {
      lines.push(`    ${q(n.path)} [label=${q(n.label)}, shape=${DOT_SHAPES[n.kind]}${n.internal ? ", style=dashed" : ""}];`);
    }
    lines.push("  }");
  }
  for (const e of graph.edges) {
    const attributes = [...(e.label === undefined ? [] : [`label=${q(e.label)}`]), ...(e.dashed ? ["style=dashed"] : [])];
    lines.push(`  ${q(e.from)} -> ${q(e.to)}${attributes.length > 0 ? ` [${attributes.join(", ")}]` : ""};`);
  }
  lines.push("}");
  return lines.join("\n");
}

const MERMAID_SHAPES: Record<Kind, [string, string]> = {
  generator: ["([", "])"],
  sequencer: ["[\\", "/]"],
  splitter: ["[/", "\\]"],
  split: [">", "]"],
  workflow: ["[", "]"],
  portal: ["{{", "}}"],
  stream: ["[", "]"],
};

/** Mermaid `flowchart LR`: one subgraph per application; portal traffic and internal streams dotted. */
function mermaid(graph: Graph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.path, `n${i}`]));
  const text = (s: string): string => `"${s.replace(/"/g, "#quot;")}"`;
  const lines = ["flowchart LR"];
  [...new Set(graph.nodes.map((n) => n.app))].forEach((app, i) => {
    lines.push(`  subgraph a${i}[${text(app)}]`);
    for (const n of graph.nodes.filter((x) => x.app === app)) {
      const [open, close] = MERMAID_SHAPES[n.kind];
      lines.push(`    ${ids.get(n.path)}${open}${text(n.internal ? `${n.label} (internal)` : n.label)}${close}`);
    }
    lines.push("  end");
  });
  for (const e of graph.edges) {
    const arrow = e.dashed ? (e.label === undefined ? "-.->" : `-. ${e.label} .->`) : e.label === undefined ? "-->" : `-- ${e.label} -->`;
    lines.push(`  ${ids.get(e.from)} ${arrow} ${ids.get(e.to)}`);
  }
  return lines.join("\n");
}
