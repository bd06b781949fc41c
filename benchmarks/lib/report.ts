/**
 * Formatting of the results: the markdown tables printed to stdout and written into
 * `benchmarks/README.md`.
 */
import type { GroupSpec, VariantResult } from "./types.js";

/** A variant's result with its rate relative to each baseline of its group (variant / baseline). */
export interface Row extends VariantResult {
  readonly ratios: readonly { readonly baseline: string; readonly ratio: number }[];
}

/** Results of one group, in the order of its variants. */
export interface GroupResult {
  readonly id: string;
  readonly workload: number;
  readonly title: string;
  readonly unit: string;
  readonly latency: string | undefined;
  readonly rows: readonly Row[];
  /** True when every variant computed the same checksum. */
  readonly agree: boolean;
}

/** Adds the ratios to the baselines of the same group (and the same run). */
export function withRatios(group: GroupSpec, results: readonly VariantResult[]): GroupResult {
  const baselines = results.filter((r) => r.baseline);
  const rows = results.map((r) => ({
    ...r,
    ratios: r.baseline ? [] : baselines.map((b) => ({ baseline: b.variant, ratio: r.rate / b.rate })),
  }));
  const agree = results.every((r) => r.checksum === results[0]?.checksum);
  return { id: group.id, workload: group.workload, title: group.title, unit: group.unit, latency: group.latency, rows, agree };
}

const SI: [number, string][] = [
  [1e9, "G"],
  [1e6, "M"],
  [1e3, "k"],
];

/** `2.39 M events/s`. */
export function formatRate(rate: number, unit: string): string {
  for (const [scale, prefix] of SI) if (rate >= scale) return `${digits(rate / scale)} ${prefix} ${unit}`;
  return `${digits(rate)} ${unit}`;
}

/** A duration given in ms, in ns, µs, ms or s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  if (ms < 1e-3) return `${digits(ms * 1e6)} ns`;
  if (ms < 1) return `${digits(ms * 1e3)} µs`;
  if (ms < 1000) return `${digits(ms)} ms`;
  return `${digits(ms / 1000)} s`;
}

/** Three significant digits (no exponent). */
function digits(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function ratio(x: number): string {
  return x >= 10 ? `${x.toFixed(0)}×` : x >= 1 ? `${x.toFixed(2)}×` : `${x.toPrecision(2)}×`;
}

/** Rates of an earlier run by `group:variant` (see `--compare`). */
export type Previous = ReadonlyMap<string, number>;

/** The rates of a results file written by an earlier run. */
export function previousRates(json: string): Map<string, number> {
  const data = JSON.parse(json) as { groups?: { id: string; rows: { variant: string; rate: number }[] }[] };
  const rates = new Map<string, number>();
  for (const g of data.groups ?? []) for (const r of g.rows) rates.set(`${g.id}:${r.variant}`, r.rate);
  return rates;
}

/** The main table: one row per variant; with `previous`, a column of rate ratios to that run. */
export function mainTable(groups: readonly GroupResult[], previous?: Previous): string {
  const lines = [
    `| # | workload | variant | rate | p50 | p99 | peak RSS | peak heap | vs baselines (rate) |${previous ? " vs previous |" : ""} samples |`,
    `|---|---|---|--:|--:|--:|--:|--:|---|${previous ? "--:|" : ""}--:|`,
  ];
  for (const g of groups) {
    for (const r of g.rows) {
      const before = previous?.get(`${g.id}:${r.variant}`);
      const compared = previous === undefined ? [] : [before === undefined ? "—" : ratio(r.rate / before)];
      const spread = Number.isFinite(r.iteration.mad) ? ` ±${((100 * r.iteration.mad) / r.iteration.p50).toFixed(0)}%` : "";
      lines.push(
        [
          "",
          String(g.workload),
          g.agree ? g.title : `${g.title} **(checksums differ)**`,
          r.baseline ? `${r.label} (baseline)` : `**${r.label}**`,
          formatRate(r.rate, r.unit),
          r.latency ? formatMs(r.latency.p50) : "—",
          r.latency ? formatMs(r.latency.p99) : "—",
          `${r.memory.peakRss.toFixed(0)} MB`,
          `${r.memory.peakHeap.toFixed(1)} MB`,
          r.ratios.length > 0 ? r.ratios.map((x) => `${ratio(x.ratio)} ${x.baseline}`).join(", ") : "—",
          ...compared,
          `${r.iteration.samples}${spread}`,
          "",
        ]
          .join(" | ")
          .trim(),
      );
    }
  }
  return lines.join("\n");
}

/** Per-file compiler times: one row per file, one column per compiler variant. */
export function filesTable(groups: readonly GroupResult[]): string | undefined {
  const columns: { title: string; row: Row; self: boolean }[] = [];
  for (const g of groups) {
    for (const r of [...g.rows].sort((a, b) => Number(b.baseline) - Number(a.baseline))) {
      if (r.files === undefined) continue;
      const mode = g.id === "transform-program" ? "program emit" : "transpileModule";
      columns.push({ title: `${mode}, ${r.variant}`, row: r, self: false });
      if (r.files.some((f) => f.self !== undefined)) columns.push({ title: `transformer self (${mode})`, row: r, self: true });
    }
  }
  if (columns.length === 0) return undefined;
  const names = [...new Set(columns.flatMap((c) => c.row.files!.map((f) => f.name)))];
  const lines = [`| file | machines | ${columns.map((c) => c.title).join(" | ")} |`, `|---|--:|${columns.map(() => "--:").join("|")}|`];
  for (const name of names) {
    const machines = Math.max(0, ...columns.map((c) => c.row.files!.find((f) => f.name === name)?.machines ?? 0));
    const cells = columns.map((c) => {
      const f = c.row.files!.find((x) => x.name === name);
      const ms = f === undefined ? undefined : c.self ? f.self : f.p50;
      return ms === undefined ? "—" : `${ms.toFixed(2)} ms`;
    });
    lines.push(`| ${name} | ${machines} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** A size in bytes: `512 B`, `1.23 kB`, `5.99 MB` (powers of 1000). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${digits(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${digits(bytes / 1e3)} kB`;
  return `${bytes.toFixed(0)} B`;
}

/**
 * Snapshot and codec rows (those whose `info` has `bytes`): size of the bytes written or read,
 * per unit (`info.count` keys, continuations, entries, ...), median time of one operation, MB/s
 * (10^6 bytes per second of those bytes), and the time relative to the group's baselines.
 */
export function bytesTable(groups: readonly GroupResult[]): string | undefined {
  const lines = [
    "| # | workload | variant | bytes | per unit | time (median) | MB/s | time vs baselines | notes |",
    "|---|---|---|--:|--:|--:|--:|---|---|",
  ];
  for (const g of groups) {
    const baselines = g.rows.filter((r) => r.baseline);
    for (const r of g.rows) {
      const info = r.info;
      if (info === undefined || typeof info.bytes !== "number") continue;
      const count = typeof info.count === "number" ? info.count : undefined;
      const per = count === undefined ? "—" : `${digits(info.bytes / count)} B/${String(info.per ?? "unit")}`;
      const ms = r.iteration.p50;
      const times = r.baseline ? "—" : baselines.map((b) => `${ratio(ms / b.iteration.p50)} ${b.variant}`).join(", ") || "—";
      lines.push(
        [
          "",
          String(g.workload),
          g.title,
          r.baseline ? `${r.label} (baseline)` : `**${r.label}**`,
          formatBytes(info.bytes),
          per,
          formatMs(ms),
          digits(info.bytes / 1e6 / (ms / 1000)),
          times,
          typeof info.note === "string" ? info.note : "",
          "",
        ]
          .join(" | ")
          .trim(),
      );
    }
  }
  return lines.length > 2 ? lines.join("\n") : undefined;
}

/** `65,536` */
function withCommas(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * The keyed-count scaling table (workload 12): one row per key space, one column per atom
 * size, from the `info` cells of the `scaling-*` groups (`keys`, `events@<atom>`,
 * `rate@<atom>`, see `workloads/scaling.ts`). A cell is the portals rate and its ratio to the
 * hand-written loop over the same N; the last column is the loop's rate at the largest N.
 */
export function scalingTable(groups: readonly GroupResult[]): string | undefined {
  const rows = groups.filter((g) => g.id.startsWith("scaling-"));
  const cellsOf = (r: Row | undefined): Map<number, { events: number; rate: number }> => {
    const cells = new Map<number, { events: number; rate: number }>();
    for (const [name, value] of Object.entries(r?.info ?? {})) {
      const atom = /^rate@(\d+)$/.exec(name)?.[1];
      if (atom !== undefined && typeof value === "number") cells.set(Number(atom), { events: Number(r!.info![`events@${atom}`]), rate: value });
    }
    return cells;
  };
  const table = rows.map((g) => ({ g, portals: cellsOf(g.rows.find((r) => !r.baseline)), loop: cellsOf(g.rows.find((r) => r.baseline)) }));
  const atoms = [...new Set(table.flatMap((t) => [...t.portals.keys(), ...t.loop.keys()]))].sort((a, b) => a - b);
  if (atoms.length === 0) return undefined;
  const events = (atom: number): string => {
    const ns = new Set(table.map((t) => t.portals.get(atom)?.events ?? t.loop.get(atom)?.events).filter((n) => n !== undefined));
    return [...ns].map((n) => withCommas(n!)).join(" / ");
  };
  const lines = [
    `| keys K | ${atoms.map((a) => `atoms of ${withCommas(a)}`).join(" | ")} | hand-written Map loop |`,
    `|---|${atoms.map(() => "--:").join("|")}|--:|`,
    `| events N (keys touched: min(N, K)) | ${atoms.map(events).join(" | ")} | the largest N: ${withCommas(Math.max(...table.flatMap((t) => [...t.loop.values()].map((c) => c.events))))} |`,
  ];
  for (const { g, portals, loop } of table) {
    const keys = Number(g.rows[0]?.info?.keys ?? NaN);
    const bare = (rate: number): string => formatRate(rate, "").trim();
    const cells = atoms.map((a) => {
      const p = portals.get(a);
      const l = loop.get(a);
      if (p === undefined) return "—";
      return l === undefined ? bare(p.rate) : `${bare(p.rate)} (${ratio(p.rate / l.rate)})`;
    });
    // The loop at the largest N: the median over the cells that have it.
    const most = Math.max(...[...loop.values()].map((c) => c.events));
    const at = [...loop.values()].filter((c) => c.events === most).map((c) => c.rate).sort((a, b) => a - b);
    const base = at.length === 0 ? "—" : bare(at[(at.length - 1) >> 1]!);
    lines.push(`| ${Number.isFinite(keys) ? `10^${Math.round(Math.log10(keys))}` : g.id} | ${cells.join(" | ")} | ${base} |`);
  }
  return lines.join("\n");
}
