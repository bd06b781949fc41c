/**
 * The application graph the page draws, as data made in the worker from the applications'
 * plans (the expanded graph that `explain()` prints): a node per generator, sequencer, splitter,
 * split and workflow, and an edge per stream from the component writing it to each reading it.
 * Internal components (made by portal expansion) are marked so the page can draw them lighter.
 */
import type { Application } from "portals-ts";

/** A component of the graph. */
export interface GraphNode {
  readonly id: string;
  readonly kind: "generator" | "sequencer" | "splitter" | "split" | "workflow";
  /** Its path's last part, e.g. `cart` of `/shop/workflows/cart`. */
  readonly label: string;
  readonly app: string;
  readonly internal: boolean;
}

/** A stream from one component to another. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly stream: string;
}

/** The graph of a launch: every application's components and the streams between them. */
export interface GraphModel {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** The graph of `apps` launched in order. */
export function graphModel(apps: readonly Application[]): GraphModel {
  const nodes: GraphNode[] = [];
  const writer = new Map<string, string>();
  const readers: { stream: string; to: string }[] = [];
  const add = (kind: GraphNode["kind"], path: string, app: string, internal: boolean): void => {
    nodes.push({ id: path, kind, label: path.slice(path.lastIndexOf("/") + 1), app, internal });
  };
  for (const app of apps) {
    const plan = app.plan;
    for (const g of plan.generators) {
      add("generator", g.path, plan.app, g.internal);
      writer.set(g.stream, g.path);
    }
    for (const s of plan.sequencers) {
      add("sequencer", s.path, plan.app, s.internal);
      writer.set(s.stream, s.path);
    }
    for (const c of plan.connections) readers.push({ stream: c.stream, to: c.sequencer });
    for (const s of plan.splitters) {
      add("splitter", s.path, plan.app, s.internal);
      readers.push({ stream: s.source, to: s.path });
    }
    for (const s of plan.splits) {
      add("split", s.path, plan.app, s.internal);
      readers.push({ stream: s.splitter, to: s.path });
      writer.set(s.stream, s.path);
    }
    for (const w of plan.workflows) {
      add("workflow", w.path, plan.app, w.internal);
      readers.push({ stream: w.source, to: w.path });
      writer.set(w.stream, w.path);
      if (w.portals) writer.set(w.portals.out, w.path);
    }
  }
  const ids = new Set(nodes.map((n) => n.id));
  const edges: GraphEdge[] = [];
  for (const r of readers) {
    // A split reads its splitter directly (the splitter path stands for the stream here).
    const from = ids.has(r.stream) ? r.stream : writer.get(r.stream);
    if (from !== undefined && ids.has(r.to)) edges.push({ from, to: r.to, stream: r.stream });
  }
  return { nodes, edges };
}
