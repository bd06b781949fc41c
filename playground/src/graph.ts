/**
 * Draws the application graph (`graph-model.ts`) as SVG, laid out left to right by dagre
 * (a maintained layered-graph layout; the drawing itself is a few SVG elements). The wheel
 * zooms at the pointer, a drag pans, a double click shows all of it again: by moving the SVG's
 * `viewBox`, with no library (a few pointer and wheel handlers).
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
  zoomable(svg, { x: 0, y: 0, width: size.width ?? 0, height: size.height ?? 0 });
  return model.nodes.length;
}

/** A rectangle of the drawing, in its own units (an SVG `viewBox`). */
interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Closest zoom (the whole drawing's width over the part in view) and farthest. */
const MAX_ZOOM = 12;
const MIN_ZOOM = 0.5;

/**
 * Makes `svg` zoom with the wheel (about the point under the pointer), pan with a drag and
 * show all of `full` again on a double click. The zoom is in `data-zoom` (1: all of it).
 */
function zoomable(svg: SVGSVGElement, full: Box): void {
  if (full.width <= 0 || full.height <= 0) return;
  let view: Box = full;
  const show = (box: Box): void => {
    view = box;
    svg.setAttribute("viewBox", `${box.x} ${box.y} ${box.width} ${box.height}`);
    svg.dataset.zoom = (full.width / box.width).toFixed(3);
  };
  show(full);
  svg.style.cursor = "grab";
  // Where a point of the page is, in the drawing's units.
  const toDrawing = (clientX: number, clientY: number): DOMPoint => new DOMPoint(clientX, clientY).matrixTransform(svg.getScreenCTM()!.inverse());
  svg.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const at = toDrawing(event.clientX, event.clientY);
      // A notch of a mouse wheel (about 100 pixels) zooms by about 1.2.
      const pixels = event.deltaMode === WheelEvent.DOM_DELTA_LINE ? event.deltaY * 16 : event.deltaY;
      const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, (full.width / view.width) * Math.exp(-pixels * 0.0018)));
      const factor = full.width / zoom / view.width;
      show({ x: at.x - (at.x - view.x) * factor, y: at.y - (at.y - view.y) * factor, width: view.width * factor, height: view.height * factor });
    },
    { passive: false },
  );
  svg.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    const start = { x: event.clientX, y: event.clientY, view, scale: svg.getScreenCTM()!.a };
    svg.setPointerCapture(event.pointerId);
    svg.style.cursor = "grabbing";
    const move = (e: PointerEvent): void => {
      show({ ...start.view, x: start.view.x - (e.clientX - start.x) / start.scale, y: start.view.y - (e.clientY - start.y) / start.scale });
    };
    const end = (): void => {
      svg.removeEventListener("pointermove", move);
      svg.removeEventListener("pointerup", end);
      svg.removeEventListener("pointercancel", end);
      svg.style.cursor = "grab";
    };
    svg.addEventListener("pointermove", move);
    svg.addEventListener("pointerup", end);
    svg.addEventListener("pointercancel", end);
  });
  svg.addEventListener("dblclick", () => show(full));
}
