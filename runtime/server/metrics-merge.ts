/**
 * The metrics of a front's workers as one scrape (docs/cluster.md, "Partitioned applications"):
 * each worker's Prometheus text with a `worker` label (its runtime name) on every sample, the
 * samples of one metric family together under one `# HELP` and `# TYPE` (the text format wants a
 * family in one piece), and `portals_worker_up`, 1 for a worker that answered and 0 for one that
 * did not. prom-client aggregates registries of one process's cluster workers, not text of other
 * processes; the text format is simple enough to relabel line by line.
 */

/** One worker's scrape: its runtime name and its `/metrics` text, or `undefined` when it did not answer. */
export interface WorkerScrape {
  readonly runtime: string;
  readonly text: string | undefined;
}

/** A metric family: its comment lines (from the first worker that has it) and every worker's samples. */
interface Family {
  readonly comments: string[];
  readonly samples: string[];
  /** The worker whose comments it has. */
  from?: string;
}

/** The family a comment line (`# HELP name …`, `# TYPE name …`) is about, or `undefined` for another comment. */
function familyOf(line: string): string | undefined {
  const m = /^# (?:HELP|TYPE) (\S+)/.exec(line);
  return m?.[1];
}

/** `sample` (`name{labels} value` or `name value`) with `worker="<runtime>"` first among its labels. */
function labelled(sample: string, label: string): string {
  for (let i = 0; i < sample.length; i++) {
    const c = sample[i];
    if (c === "{") return `${sample.slice(0, i + 1)}${label}${sample[i + 1] === "}" ? "" : ","}${sample.slice(i + 1)}`;
    if (c === " " || c === "\t") return `${sample.slice(0, i)}{${label}}${sample.slice(i)}`;
  }
  return sample;
}

/** A label value as the text format writes it (backslash, quote and newline escaped). */
function labelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** The workers' scrapes as one, in the Prometheus text format (see the module header). */
export function mergeMetrics(scrapes: readonly WorkerScrape[]): string {
  const families = new Map<string, Family>();
  const familyNamed = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { comments: [], samples: [] }));
    return f;
  };
  for (const { runtime, text } of scrapes) {
    if (text === undefined) continue;
    const label = `worker="${labelValue(runtime)}"`;
    let current: Family | undefined;
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      if (line.startsWith("#")) {
        const name = familyOf(line);
        if (name === undefined) continue;
        current = familyNamed(name);
        // The first worker's comments describe the family; the others' say the same.
        current.from ??= runtime;
        if (current.from === runtime) current.comments.push(line);
        continue;
      }
      // A sample before any comment is a family of its own name.
      current ??= familyNamed(line.split(/[{\s]/, 1)[0]!);
      current.samples.push(labelled(line, label));
    }
  }
  const up = scrapes.map(({ runtime, text }) => `portals_worker_up{worker="${labelValue(runtime)}"} ${text === undefined ? 0 : 1}`);
  const out = ["# HELP portals_worker_up Whether the worker answered this scrape (1) or not (0)", "# TYPE portals_worker_up gauge", ...up];
  for (const f of families.values()) out.push(...f.comments, ...f.samples);
  return `${out.join("\n")}\n`;
}
