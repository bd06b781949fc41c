/**
 * Portal expansion: the precompilation step that implements portals with sequencers, splitters
 * and internal streams (Portals paper §2.1; reference `compiler/phases/portal/*`), so that the
 * engine runs plain graphs. For a portal at path `p`, served by workflow `w`:
 *
 *   p/requests                  sequencer: every asker's requests for `p` are connected into it
 *   p/replies                   splitter over `w/portal-router/replies<p>/stream`, with one split
 *                               per asking workflow
 *
 * For every workflow `w` that asks or serves portals:
 *
 *   w/portal-in                 sequencer in front of `w`; inputs: the original source (primary,
 *                               forwarded as is), `p/requests` of each served portal, and the
 *                               replies split of each asked portal. Portal inputs go first.
 *   w/portal-out                stream of the requests and replies `w`'s tasks send
 *   w/portal-router             splitter over `w/portal-out` with the splits
 *     requests<p>               requests for asked portal `p`, connected into `p/requests`
 *     replies<p>                replies of served portal `p`: the stream `p/replies` splits
 *   w/replies<p>                split on `p/replies` selecting replies to `w`, connected into
 *                               `w/portal-in`
 *
 * Everything is derived from paths, so an application that asks a portal of an application
 * launched earlier expands without knowing that application's workflows. The reference rewrite
 * uses random path ids; these are deterministic.
 */
import type { Key } from "../core/key.js";
import { isOwnPath } from "../core/paths.js";
import type { PortalMessage } from "../core/messages.js";
import { distinctPortals, portalUse, type PortalAddress } from "../core/spec.js";
import type { AppModel, PortalNode, WorkflowNode } from "./model.js";
import type {
  Plan,
  PlanConnection,
  PlanRequirement,
  PlanSequencer,
  PlanSplit,
  PlanSplitter,
  PlanStream,
  PlanWorkflow,
} from "./plan.js";

/** Expands the portals of `model` (already validated): a plan without portal nodes. */
export function expandPortals(model: AppModel): Plan {
  const own = (path: string): boolean => isOwnPath(model.path, path);
  const streams: PlanStream[] = [];
  const sequencers: PlanSequencer[] = [];
  const splitters: PlanSplitter[] = [];
  const splits: PlanSplit[] = [];
  const connections: PlanConnection[] = [];
  const workflows: PlanWorkflow[] = [];
  const requires: PlanRequirement[] = [];
  const require = (path: string, kind: PlanRequirement["kind"], neededBy: string, what = `${kind} ${path}`): void => {
    if (!own(path)) requires.push({ path, kind, neededBy, what });
  };

  for (const g of model.generators) streams.push({ path: g.stream, internal: false });
  for (const s of model.sequencers) {
    streams.push({ path: s.stream, internal: false });
    sequencers.push({ path: s.path, stream: s.stream, internal: false });
  }
  for (const s of model.splitters) {
    splitters.push({ path: s.path, source: s.source, internal: false });
    require(s.source, "stream", s.path);
  }
  for (const s of model.splits) {
    streams.push({ path: s.stream, internal: false });
    splits.push({ ...s, internal: false });
    require(s.splitter, "splitter", s.path);
  }
  for (const c of model.connections) {
    connections.push({ ...c, internal: false, portal: false });
    require(c.stream, "stream", c.path);
    require(c.sequencer, "sequencer", c.path);
  }

  const servedBy = new Map<string, string>();
  for (const w of model.workflows) {
    for (const t of w.tasks) for (const p of portalUse(t.spec).serves) servedBy.set(p.path, w.path);
  }
  for (const p of model.portals) expandPortal(p, servedBy.get(p.path)!);

  for (const w of model.workflows) {
    streams.push({ path: w.stream, internal: false });
    if (w.deadLetters !== undefined) streams.push({ path: w.deadLetters, internal: false });
    require(w.source!, "stream", w.path);
    const uses = w.tasks.map((t) => portalUse(t.spec));
    const asks = distinctPortals(uses.flatMap((u) => u.asks));
    const serves = distinctPortals(uses.flatMap((u) => u.serves));
    if (asks.length === 0 && serves.length === 0) {
      workflows.push({ path: w.path, internal: false, source: w.source!, stream: w.stream, tasks: w.tasks, sinks: w.sinks, target: w.target, deadLetters: w.deadLetters });
      continue;
    }
    workflows.push(expandPortalWorkflow(w, asks, serves, uses));
  }

  return { app: model.path, streams, generators: model.generators.map((g) => ({ ...g, internal: false })), sequencers, splitters, splits, connections, workflows, requires };

  function expandPortal(portal: PortalNode, server: string): void {
    const requests = `${portal.path}/requests`;
    sequencers.push({ path: requests, stream: `${requests}/stream`, internal: true });
    streams.push({ path: `${requests}/stream`, internal: true });
    splitters.push({ path: `${portal.path}/replies`, source: `${server}/portal-router/replies${portal.path}/stream`, internal: true });
  }

  function expandPortalWorkflow(
    w: WorkflowNode,
    asks: PortalAddress[],
    serves: PortalAddress[],
    uses: { serves: PortalAddress[] }[],
  ): PlanWorkflow {
    const portalIn = `${w.path}/portal-in`;
    const out = `${w.path}/portal-out`;
    const router = `${w.path}/portal-router`;
    sequencers.push({ path: portalIn, stream: `${portalIn}/stream`, internal: true, primary: w.source! });
    streams.push({ path: `${portalIn}/stream`, internal: true }, { path: out, internal: true });
    connections.push({ path: `${portalIn}/source`, stream: w.source!, sequencer: portalIn, internal: true, portal: false });
    splitters.push({ path: router, source: out, internal: true });

    for (const p of asks) {
      const toPortal = `${router}/requests${p.path}`;
      addSplit(toPortal, router, (m) => m.type === "request" && m.portal === p.path);
      connections.push({ path: `${toPortal}/connection`, stream: `${toPortal}/stream`, sequencer: `${p.path}/requests`, internal: true, portal: true });
      require(`${p.path}/requests`, "sequencer", w.path, `portal ${p.path}`);
      const back = `${w.path}/replies${p.path}`;
      addSplit(back, `${p.path}/replies`, (m) => m.type === "reply" && m.asker === w.path);
      require(`${p.path}/replies`, "splitter", w.path, `portal ${p.path}`);
      connections.push({ path: `${back}/connection`, stream: `${back}/stream`, sequencer: portalIn, internal: true, portal: true });
    }
    const served = new Map<string, { task: number; key?: (request: any) => Key }>();
    for (const p of serves) {
      addSplit(`${router}/replies${p.path}`, router, (m) => m.type === "reply" && m.portal === p.path);
      connections.push({ path: `${p.path}/requests/connection`, stream: `${p.path}/requests/stream`, sequencer: portalIn, internal: true, portal: true });
      const task = uses.findIndex((u) => u.serves.some((s) => s.path === p.path));
      const node = model.portals.find((n) => n.path === p.path)!;
      served.set(p.path, node.key ? { task, key: node.key } : { task });
    }
    return {
      path: w.path,
      internal: false,
      source: `${portalIn}/stream`,
      stream: w.stream,
      tasks: w.tasks,
      sinks: w.sinks,
      target: w.target,
      deadLetters: w.deadLetters,
      portals: { out, serves: served },
    };
  }

  function addSplit(path: string, splitter: string, predicate: (m: PortalMessage) => boolean): void {
    splits.push({ path, splitter, stream: `${path}/stream`, predicate, internal: true });
    streams.push({ path: `${path}/stream`, internal: true });
  }
}
