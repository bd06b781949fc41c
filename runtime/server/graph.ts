/** An application's graph as JSON (`GET /v1/apps/{app}`): its parts, and who asks whom. */
import { portalUse } from "../core/spec.js";
import type { Application } from "../api/application.js";

/** The JSON of {@link appGraph}. */
export interface AppGraph {
  readonly name: string;
  readonly path: string;
  readonly generators: readonly { readonly path: string; readonly stream: string; readonly kind: string }[];
  readonly sequencers: readonly { readonly path: string; readonly stream: string }[];
  readonly splitters: readonly { readonly path: string; readonly source: string }[];
  readonly splits: readonly { readonly path: string; readonly splitter: string; readonly stream: string }[];
  readonly connections: readonly { readonly path: string; readonly stream: string; readonly sequencer: string }[];
  readonly workflows: readonly {
    readonly path: string;
    readonly source: string | undefined;
    readonly stream: string;
    readonly tasks: readonly string[];
    /** Portals its tasks ask (paths). */
    readonly asks: readonly string[];
    /** Portals its tasks serve (paths). */
    readonly serves: readonly string[];
  }[];
  readonly portals: readonly { readonly path: string; readonly servedBy: string | undefined }[];
  /** Parts of other applications it uses (registry paths), by kind. */
  readonly uses: readonly { readonly kind: string; readonly path: string }[];
}

/** The graph of `app`, from its model (what the builders recorded). */
export function appGraph(app: Application): AppGraph {
  const m = app.model;
  const workflows = m.workflows.map((w) => {
    const uses = w.tasks.map((t) => portalUse(t.spec));
    return {
      path: w.path,
      source: w.source,
      stream: w.stream,
      tasks: w.tasks.map((t) => t.name),
      asks: [...new Set(uses.flatMap((u) => u.asks.map((p) => p.path)))],
      serves: [...new Set(uses.flatMap((u) => u.serves.map((p) => p.path)))],
    };
  });
  return {
    name: app.name,
    path: app.path,
    generators: m.generators.map((g) => ({ path: g.path, stream: g.stream, kind: g.source.kind })),
    sequencers: m.sequencers.map((s) => ({ path: s.path, stream: s.stream })),
    splitters: m.splitters.map((s) => ({ path: s.path, source: s.source })),
    splits: m.splits.map((s) => ({ path: s.path, splitter: s.splitter, stream: s.stream })),
    connections: m.connections.map((c) => ({ path: c.path, stream: c.stream, sequencer: c.sequencer })),
    workflows,
    portals: m.portals.map((p) => ({ path: p.path, servedBy: workflows.find((w) => w.serves.includes(p.path))?.path })),
    uses: m.external.map((e) => ({ kind: e.kind, path: e.path })),
  };
}
