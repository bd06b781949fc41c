/**
 * Heap measurements for the memory workloads (`workloads/parked-memory.ts`) and the soak
 * (`soak.ts`): heap used after a forced full GC, and V8 heap snapshots read back and summarised
 * by object type.
 *
 * A heap snapshot (`v8.writeHeapSnapshot`) is a graph: nodes (objects, arrays, strings, code,
 * V8-internal "hidden" objects) with a type, a name (the constructor name for objects), a stable
 * id and a self size; and edges (properties, elements, internal fields) between them. Ids are
 * stable across snapshots of the same process, so the objects allocated between two snapshots
 * and still alive at the second are exactly the nodes of the second whose id the first lacks
 * ({@link newSince}). {@link summarize} groups nodes by a label made of type and name;
 * {@link reachable} finds what a set of roots holds among given nodes (to split new objects by
 * owner); {@link retainerPath} names the fields that keep a node alive.
 */
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";

/** Forced full GC (twice, so that objects freed by finalizers of the first go too). */
export function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with node --expose-gc (the npm scripts do)");
  gc();
  gc();
}

/** V8 heap used, in bytes, after a forced full GC. */
export function heapUsedAfterGc(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

/** A parsed heap snapshot, as flat arrays indexed by node ordinal and edge ordinal. */
export interface HeapGraph {
  /** Number of nodes. */
  readonly nodes: number;
  /** Node type name (`object`, `array`, `string`, `closure`, `hidden`, ...) per node. */
  readonly type: readonly string[];
  /** Node name per node (constructor name for objects; the text for strings). */
  readonly name: readonly string[];
  /** Stable object id per node. */
  readonly id: Float64Array;
  /** Self size in bytes per node. */
  readonly size: Float64Array;
  /** Index of the node's first edge in the edge arrays; its edges end at `firstEdge[node + 1]`. */
  readonly firstEdge: Uint32Array;
  /** Edge type name per edge (`property`, `element`, `internal`, `hidden`, `weak`, ...). */
  readonly edgeType: readonly string[];
  /** Edge name per edge (property name, or the element index as text). */
  readonly edgeName: readonly string[];
  /** Target node ordinal per edge. */
  readonly edgeTo: Uint32Array;
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/**
 * Writes a heap snapshot of this process (after a forced GC) and reads it back; the file is
 * deleted unless `keep` names where to leave it.
 */
export function takeHeapSnapshot(keep?: string): HeapGraph {
  collect();
  const file = keep ?? join(tmpdir(), `portals-bench-${process.pid}-${Date.now()}.heapsnapshot`);
  v8.writeHeapSnapshot(file);
  try {
    return readHeapSnapshot(file);
  } finally {
    if (keep === undefined) rmSync(file, { force: true });
  }
}

/** Reads a `.heapsnapshot` file (the JSON format of V8's heap profiler). */
export function readHeapSnapshot(file: string): HeapGraph {
  const raw = JSON.parse(readFileSync(file, "utf8")) as RawSnapshot;
  const meta = raw.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const [nType, nName, nId, nSize, nEdges] = ["type", "name", "id", "self_size", "edge_count"].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number, number];
  const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const nodes = raw.nodes.length / nf;
  const type: string[] = new Array(nodes);
  const name: string[] = new Array(nodes);
  const id = new Float64Array(nodes);
  const size = new Float64Array(nodes);
  const firstEdge = new Uint32Array(nodes + 1);
  let edge = 0;
  for (let n = 0; n < nodes; n++) {
    const at = n * nf;
    type[n] = nodeTypes[raw.nodes[at + nType]!]!;
    name[n] = raw.strings[raw.nodes[at + nName]!]!;
    id[n] = raw.nodes[at + nId]!;
    size[n] = raw.nodes[at + nSize]!;
    firstEdge[n] = edge;
    edge += raw.nodes[at + nEdges]!;
  }
  firstEdge[nodes] = edge;
  const edges = raw.edges.length / ef;
  const edgeType: string[] = new Array(edges);
  const edgeName: string[] = new Array(edges);
  const edgeTo = new Uint32Array(edges);
  for (let e = 0; e < edges; e++) {
    const at = e * ef;
    const t = edgeTypes[raw.edges[at + eType]!]!;
    const v = raw.edges[at + eName]!;
    edgeType[e] = t;
    edgeName[e] = t === "element" || t === "hidden" ? String(v) : raw.strings[v]!;
    edgeTo[e] = raw.edges[at + eTo]! / nf;
  }
  return { nodes, type, name, id, size, firstEdge, edgeType, edgeName, edgeTo };
}

/** Ordinals of the nodes of `after` whose ids `before` lacks: allocated in between, still alive. */
export function newSince(before: HeapGraph, after: HeapGraph): Set<number> {
  const old = new Set<number>();
  for (let n = 0; n < before.nodes; n++) old.add(before.id[n]!);
  const fresh = new Set<number>();
  for (let n = 0; n < after.nodes; n++) if (!old.has(after.id[n]!)) fresh.add(n);
  return fresh;
}

/**
 * The label a node is grouped under: the constructor name for objects, `Array` elements as
 * `(array elements)`, strings and numbers by kind (not by text), closures by function name,
 * V8-internal objects by their type and name.
 */
export function label(g: HeapGraph, n: number): string {
  const t = g.type[n]!;
  const name = g.name[n]!;
  switch (t) {
    case "object":
      return name;
    case "string":
    case "concatenated string":
    case "sliced string":
      return `(${t})`;
    case "number":
      return "(heap number)";
    case "closure":
      return `closure ${name || "(anonymous)"}`;
    case "code":
      return "(code)";
    default:
      return name === "" ? `(${t})` : `(${t}) ${name}`;
  }
}

/** Count and bytes of the nodes under one label. */
export interface HeapGroup {
  readonly label: string;
  readonly count: number;
  readonly bytes: number;
}

/** Groups `nodes` (default: all) by {@link label}, largest total self size first. */
export function summarize(g: HeapGraph, nodes?: Iterable<number>): HeapGroup[] {
  const groups = new Map<string, { count: number; bytes: number }>();
  const add = (n: number): void => {
    const l = label(g, n);
    const s = groups.get(l);
    if (s === undefined) groups.set(l, { count: 1, bytes: g.size[n]! });
    else {
      s.count++;
      s.bytes += g.size[n]!;
    }
  };
  if (nodes === undefined) for (let n = 0; n < g.nodes; n++) add(n);
  else for (const n of nodes) add(n);
  return [...groups].map(([l, s]) => ({ label: l, ...s })).sort((a, b) => b.bytes - a.bytes || a.label.localeCompare(b.label));
}

/** Edges a walk over what an object holds follows (not weak references, not code links). */
function strong(g: HeapGraph, e: number): boolean {
  const t = g.edgeType[e]!;
  return t !== "weak" && t !== "shortcut";
}

/**
 * The nodes among `within` reachable from `roots` by strong edges through nodes of `within`
 * only (roots are included when they are in `within`), minus those in `exclude`.
 */
export function reachable(g: HeapGraph, roots: Iterable<number>, within: ReadonlySet<number>, exclude: ReadonlySet<number> = new Set()): Set<number> {
  const seen = new Set<number>();
  const stack: number[] = [];
  for (const r of roots) {
    if (within.has(r) && !exclude.has(r) && !seen.has(r)) seen.add(r);
    stack.push(r);
  }
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (let e = g.firstEdge[n]!; e < g.firstEdge[n + 1]!; e++) {
      if (!strong(g, e)) continue;
      const to = g.edgeTo[e]!;
      if (seen.has(to) || !within.has(to) || exclude.has(to)) continue;
      seen.add(to);
      stack.push(to);
    }
  }
  return seen;
}

/** Ordinals of the targets of `holder`'s edges named `field` (e.g. a class's property). */
export function field(g: HeapGraph, holder: number, name: string): number[] {
  const out: number[] = [];
  for (let e = g.firstEdge[holder]!; e < g.firstEdge[holder + 1]!; e++) if (g.edgeName[e] === name && strong(g, e)) out.push(g.edgeTo[e]!);
  return out;
}

/** Ordinals of the objects whose constructor name is `name`. */
export function objectsNamed(g: HeapGraph, name: string): number[] {
  const out: number[] = [];
  for (let n = 0; n < g.nodes; n++) if (g.type[n] === "object" && g.name[n] === name) out.push(n);
  return out;
}

/** For each node, its retainers as (node, edge) pairs: the reverse graph. */
export function retainers(g: HeapGraph): { from: Uint32Array; edge: Uint32Array; first: Uint32Array } {
  const count = new Uint32Array(g.nodes + 1);
  for (let e = 0; e < g.edgeTo.length; e++) count[g.edgeTo[e]!]!++;
  const first = new Uint32Array(g.nodes + 1);
  for (let n = 0; n < g.nodes; n++) first[n + 1] = first[n]! + count[n]!;
  const fill = first.slice(0, g.nodes);
  const from = new Uint32Array(g.edgeTo.length);
  const edge = new Uint32Array(g.edgeTo.length);
  for (let n = 0; n < g.nodes; n++) {
    for (let e = g.firstEdge[n]!; e < g.firstEdge[n + 1]!; e++) {
      const to = g.edgeTo[e]!;
      const at = fill[to]!++;
      from[at] = n;
      edge[at] = e;
    }
  }
  return { from, edge, first };
}

/**
 * A chain of strong retainers from `node` towards the GC roots, as `label.field` steps
 * (innermost first), preferring named properties of JavaScript objects; at most `depth` steps.
 */
export function retainerPath(g: HeapGraph, reverse: ReturnType<typeof retainers>, node: number, depth = 12): string[] {
  const path: string[] = [];
  const seen = new Set<number>([node]);
  let n = node;
  for (let step = 0; step < depth; step++) {
    let best = -1;
    let bestEdge = -1;
    let bestScore = -1;
    for (let r = reverse.first[n]!; r < reverse.first[n + 1]!; r++) {
      const e = reverse.edge[r]!;
      const from = reverse.from[r]!;
      if (!strong(g, e) || seen.has(from)) continue;
      const t = g.type[from]!;
      const score = (t === "object" ? 4 : t === "array" ? 2 : t === "closure" ? 2 : t === "synthetic" ? 0 : 1) + (g.edgeType[e] === "property" ? 1 : 0);
      if (score > bestScore) {
        bestScore = score;
        best = from;
        bestEdge = e;
      }
    }
    if (best < 0) break;
    const how = g.edgeType[bestEdge] === "element" ? `[${g.edgeName[bestEdge]}]` : `.${g.edgeName[bestEdge]}`;
    path.push(`${label(g, best)}${how}`);
    if (g.type[best] === "synthetic") break;
    seen.add(best);
    n = best;
  }
  return path;
}

/** A markdown table of heap groups, with per-unit columns when `per` is given. */
export function groupTable(groups: readonly HeapGroup[], per?: { readonly count: number; readonly unit: string }, limit = 20): string {
  const head = per === undefined ? "| object | count | bytes |\n|---|--:|--:|" : `| object | count | bytes | per ${per.unit} (count) | per ${per.unit} (bytes) |\n|---|--:|--:|--:|--:|`;
  const rows = groups.slice(0, limit).map((s) => {
    const base = `| ${s.label} | ${s.count} | ${s.bytes} |`;
    return per === undefined ? base : `${base} ${(s.count / per.count).toFixed(2)} | ${(s.bytes / per.count).toFixed(1)} |`;
  });
  const rest = groups.slice(limit);
  if (rest.length > 0) {
    const count = rest.reduce((a, s) => a + s.count, 0);
    const bytes = rest.reduce((a, s) => a + s.bytes, 0);
    rows.push(`| (${rest.length} other kinds) | ${count} | ${bytes} |${per === undefined ? "" : ` ${(count / per.count).toFixed(2)} | ${(bytes / per.count).toFixed(1)} |`}`);
  }
  return [head, ...rows].join("\n");
}
