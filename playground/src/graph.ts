/**
 * Draws the application graph (`graph-model.ts`) as SVG, laid out left to right by dagre
 * (a maintained layered-graph layout; the drawing itself is a few SVG elements).
 */
import dagre from "@dagrejs/dagre";
import type { GraphModel } from "./graph-model.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 132;
const HEIGHT = 34;

/** Replaces the content of `into` with the drawing of `model`; returns the number of nodes drawn. */
export function drawGraph(into: HTMLElement, model: GraphModel, events: Readonly<Record<string, number>> = {}): number {
  if (model.nodes.length === 0) {
    into.replaceChildren("the applications have no generators, sequencers, splitters or workflows");
    return 0;
  }
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 36, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of model.nodes) g.setNode(n.id, { width: WIDTH, height: HEIGHT });
  model.edges.forEach((e, i) => g.setEdge(e.from, e.to, {}, String(i)));
  dagre.layout(g);
  const size = g.graph();
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size.width ?? 0} ${size.height ?? 0}`);
  svg.setAttribute("width", String(size.width ?? 0));
  // A wide graph is scaled down to the panel's width, so that all of it is in view.
  svg.setAttribute("style", "max-width: 100%; height: auto");
  for (const e of g.edges()) {
    const points = g.edge(e).points ?? [];
    const path = document.createElementNS(SVG, "polyline");
    path.setAttribute("points", points.map((p: { x: number; y: number }) => `${p.x},${p.y}`).join(" "));
    path.setAttribute("class", "edge");
    svg.append(path);
  }
  for (const n of model.nodes) {
    const at = g.node(n.id);
    const group = document.createElementNS(SVG, "g");
    group.setAttribute("class", `node ${n.kind}${n.internal ? " internal" : ""}`);
    group.setAttribute("data-path", n.id);
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${n.kind} ${n.id}`;
    const rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("x", String(at.x - WIDTH / 2));
    rect.setAttribute("y", String(at.y - HEIGHT / 2));
    rect.setAttribute("width", String(WIDTH));
    rect.setAttribute("height", String(HEIGHT));
    rect.setAttribute("rx", "5");
    const text = document.createElementNS(SVG, "text");
    text.setAttribute("x", String(at.x));
    text.setAttribute("y", String(at.y - 2));
    text.textContent = n.label.length > 18 ? n.label.slice(0, 17) + "…" : n.label;
    const sub = document.createElementNS(SVG, "text");
    sub.setAttribute("x", String(at.x));
    sub.setAttribute("y", String(at.y + 11));
    sub.setAttribute("class", "sub");
    const count = events[n.id];
    sub.textContent = count === undefined ? n.kind : `${n.kind} · ${count} ev`;
    group.append(title, rect, text, sub);
    svg.append(group);
  }
  into.replaceChildren(svg);
  return model.nodes.length;
}
