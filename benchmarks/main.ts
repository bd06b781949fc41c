/**
 * `npm run bench`: runs every benchmark group, one child process per variant (per group for the
 * compiler workloads, whose variants are interleaved), one after the other, and reports (see
 * README.md in this folder):
 *
 *   - a markdown table on stdout (rate, p50/p99 latency, peak memory, ratio to the baselines of
 *     the same run), the per-file compiler times, and bytes, time and MB/s of the snapshot and
 *     codec operations;
 *   - progress on stderr;
 *   - all results as JSON in benchmarks/results/latest.json (full runs only; runs with --only or
 *     --quick write .cache/bench/results.json unless --out is given).
 *
 * Options: --quick (short measurements: checks that the suite works, numbers are rough),
 * --only <id>[,<id>...] (a group id, a prefix before a dash such as `portal` or `transform`, or
 * `group:variant`; `--only server` runs the server benchmark, `server.ts`, on its own,
 * `--only cluster` the cluster's, `cluster.ts`, `--only sql` the SQL table's, `sql.ts`,
 * `--only codec` the comparison of the snapshot codec's encodings, `codec.ts`, and
 * `--only playground` the playground page's in Chromium, `playground.ts`),
 * --rounds <n> (run every variant n times, alternating the order within its group, and report
 * the round with the median rate: slower, steadier),
 * --out <file>, --compare <results.json> (adds a column: rate relative to that earlier run, e.g.
 * `--compare benchmarks/results/latest.json` before an optimisation is committed),
 * --update-readme (replace the results section of benchmarks/README.md).
 * Exit code 1 when a variant failed or the variants of a group computed different checksums.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { compileModules, COMPILED_MODULES, ROOT } from "./lib/compile.js";
import { bytesTable, filesTable, mainTable, previousRates, scalingTable, withRatios, type GroupResult, type Previous } from "./lib/report.js";
import type { VariantResult } from "./lib/types.js";
import { GROUPS } from "./workloads/index.js";

interface Options {
  readonly quick: boolean;
  readonly only: readonly string[] | undefined;
  readonly out: string;
  readonly updateReadme: boolean;
  /** Results file of an earlier run to compare the rates with. */
  readonly compare: string | undefined;
  /** Runs of every variant; the one with the median rate is reported. */
  readonly rounds: number;
}

function parse(args: readonly string[]): Options {
  let quick = false;
  let only: string[] | undefined;
  let out: string | undefined;
  let updateReadme = false;
  let compare: string | undefined;
  let rounds = 1;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--quick") quick = true;
    else if (a === "--update-readme") updateReadme = true;
    else if (a === "--only" && args[i + 1] !== undefined) only = args[++i]!.split(",").filter((s) => s !== "");
    else if (a === "--out" && args[i + 1] !== undefined) out = args[++i]!;
    else if (a === "--compare" && args[i + 1] !== undefined) compare = args[++i]!;
    else if (a === "--rounds" && args[i + 1] !== undefined) {
      rounds = Number(args[++i]);
      if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`--rounds ${args[i]}: a positive integer`);
    } else throw new Error(`unknown option ${a}; options: --quick, --only <id>[,<id>...], --rounds <n>, --out <file>, --compare <file>, --update-readme`);
  }
  const partial = quick || only !== undefined;
  return { quick, only, out: out ?? join(ROOT, partial ? ".cache/bench/results.json" : "benchmarks/results/latest.json"), updateReadme, compare, rounds };
}

function selected(options: Options, group: string, variant: string): boolean {
  if (options.only === undefined) return true;
  return options.only.some((o) => (o.includes(":") ? o === `${group}:${variant}` : group === o || group.startsWith(`${o}-`)));
}

function version(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

function runChild(group: string, variant: string, options: Options, out: string): VariantResult[] {
  rmSync(out, { force: true });
  const args = ["--expose-gc", "--import", "tsx", join(ROOT, "benchmarks/run-one.ts"), group, variant, "--out", out];
  if (options.quick) args.push("--quick");
  const child = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  if (child.status !== 0) throw new Error(`${group} ${variant}: the child process failed (exit ${child.status ?? child.signal})`);
  return JSON.parse(readFileSync(out, "utf8")) as VariantResult[];
}

async function main(): Promise<number> {
  // The server, cluster and SQL benchmarks measure processes and engines, not runnables, the
  // codec benchmark compares encodings, and the playground's runs in a browser: their own scripts.
  const args = process.argv.slice(2);
  const only = args.indexOf("--only");
  if (only >= 0 && ["server", "cluster", "sql", "codec", "playground"].includes(args[only + 1] ?? "")) {
    return spawnSync(process.execPath, ["--import", "tsx", join(ROOT, `benchmarks/${args[only + 1]}.ts`), ...args.filter((a) => a === "--quick")], { cwd: ROOT, stdio: "inherit" }).status ?? 1;
  }
  const options = parse(process.argv.slice(2));
  // Read before the run: --compare may name the file this run overwrites.
  const previous: Previous | undefined = options.compare === undefined ? undefined : previousRates(readFileSync(options.compare, "utf8"));
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const compileStart = performance.now();
  const compiled = await compileModules(COMPILED_MODULES, true);
  log(
    `compiled ${[...compiled].map(([f, n]) => `${f.replace(/^benchmarks\//, "")} (${n} machine${n === 1 ? "" : "s"})`).join(", ")} ` +
      `with the portals transformer in ${((performance.now() - compileStart) / 1000).toFixed(1)} s`,
  );
  // Rounds of one group run back to back, alternating the order of its variants (A B C, C B A,
  // ...), so that a slow spell of the machine hits every variant of the group alike.
  // A paired group (compiler workloads) measures all its variants in one child: variant `*`.
  const todo = GROUPS.flatMap((g) => {
    const variants = g.variants.filter((v) => selected(options, g.id, v.id)).map((v) => v.id);
    if (variants.length === 0) return [];
    const ids = g.paired ? ["*"] : variants;
    return Array.from({ length: options.rounds }, (_, round) => (round % 2 === 0 ? ids : [...ids].reverse()).map((v) => ({ g, v, round }))).flat();
  });
  if (todo.length === 0) throw new Error(`--only ${options.only?.join(",")} selects nothing; groups: ${GROUPS.map((g) => g.id).join(", ")}`);
  const scratch = join(ROOT, ".cache/bench/child.json");
  mkdirSync(dirname(scratch), { recursive: true });
  const runs = new Map<string, VariantResult[]>();
  const errors: string[] = [];
  let n = 0;
  for (const { g, v, round } of todo) {
    n++;
    const t = performance.now();
    const what = `${g.id} ${v === "*" ? g.variants.map((x) => x.id).join(" + ") : v}${options.rounds > 1 ? ` (round ${round + 1})` : ""}`;
    try {
      for (const r of runChild(g.id, v, options, scratch)) {
        const key = `${g.id}:${r.variant}`;
        (runs.get(key) ?? runs.set(key, []).get(key)!).push(r);
      }
      log(`[${n}/${todo.length}] ${what}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push(message);
      log(`[${n}/${todo.length}] ${what}: ${message}`);
    }
  }
  // Per variant, the round with the median rate (the lower middle for an even count).
  const results = new Map<string, VariantResult[]>();
  for (const g of GROUPS) {
    for (const v of g.variants) {
      const all = runs.get(`${g.id}:${v.id}`);
      if (all === undefined) continue;
      const median = [...all].sort((a, b) => a.rate - b.rate)[Math.floor((all.length - 1) / 2)]!;
      const chosen = all.length > 1 ? { ...median, rounds: all.map((r) => r.rate) } : median;
      (results.get(g.id) ?? results.set(g.id, []).get(g.id)!).push(chosen);
    }
  }
  const groups: GroupResult[] = GROUPS.filter((g) => results.has(g.id)).map((g) => withRatios(g, results.get(g.id)!));
  for (const g of groups) {
    if (!g.agree) errors.push(`${g.id}: the variants computed different checksums: ${g.rows.map((r) => `${r.variant}=${r.checksum.slice(0, 80)}`).join(", ")}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const commit = git(["rev-parse", "--short", "HEAD"]);
  const dirty = git(["status", "--porcelain", "--untracked-files=no"]) !== "";
  const meta = {
    date: new Date().toISOString(),
    commit: commit + (dirty ? " (uncommitted changes)" : ""),
    node: process.version,
    v8: process.versions.v8,
    platform: `${platform()} ${release()}`,
    cpu: cpus()[0]?.model ?? "?",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    tinybench: version("tinybench"),
    rxjs: version("rxjs"),
    typescript: version("typescript"),
    quick: options.quick,
    only: options.only ?? null,
    rounds: options.rounds,
    seconds: Math.round(seconds),
    // 1-minute load average when the run started and ended: above the number of cores, other
    // processes competed with the benchmark and the numbers are noisier than usual.
    load: [Number(loadBefore.toFixed(2)), Number(loadavg()[0]!.toFixed(2))],
  };
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, JSON.stringify({ meta, groups, errors }, null, 2) + "\n");

  const environment =
    `Node ${meta.node} (V8 ${meta.v8}), ${meta.platform}, ${meta.cpu} × ${meta.cores}, ${meta.memoryGiB} GiB; ` +
    `commit ${meta.commit}; tinybench ${meta.tinybench}, rxjs ${meta.rxjs}, TypeScript ${meta.typescript}; ` +
    `load average ${meta.load[0]} → ${meta.load[1]}; ${meta.quick ? "--quick, " : ""}` +
    `${meta.rounds > 1 ? `median of ${meta.rounds} rounds, ` : ""}${meta.seconds} s in all.`;
  const sections = [`Run of ${meta.date.slice(0, 10)}: ${environment}`, "", mainTable(groups, previous)];
  const files = filesTable(groups);
  if (files !== undefined) sections.push("", "Compiler, median time per file:", "", files);
  const bytes = bytesTable(groups);
  if (bytes !== undefined) sections.push("", "Snapshots and codec, size and time of one operation (MB/s: 10^6 bytes written or read per second):", "", bytes);
  const scaling = scalingTable(groups);
  if (scaling !== undefined) {
    sections.push("", "Keyed count by key space and atom size, events/s (median per cell; in brackets: × the hand-written loop over the same N):", "", scaling);
  }
  const text = sections.join("\n");
  process.stdout.write(`\n${text}\n`);
  if (Math.max(...meta.load) > meta.cores) {
    log(`warning: the load average (${meta.load.join(" → ")}) exceeded the ${meta.cores} cores; other processes competed with the benchmarks`);
  }
  if (errors.length > 0) process.stdout.write(`\nErrors:\n${errors.map((e) => `- ${e}`).join("\n")}\n`);
  log(`results written to ${relative(ROOT, options.out)}`);
  if (options.updateReadme) updateReadme(text);
  return errors.length > 0 ? 1 : 0;
}

const START = "<!-- results:start -->";
const END = "<!-- results:end -->";

/** Replaces the text between the results markers of benchmarks/README.md. */
function updateReadme(text: string): void {
  const path = join(ROOT, "benchmarks/README.md");
  const readme = readFileSync(path, "utf8");
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error(`benchmarks/README.md has no ${START} … ${END} section`);
  writeFileSync(path, `${readme.slice(0, from + START.length)}\n${text}\n${readme.slice(to)}`);
  process.stderr.write("benchmarks/README.md updated\n");
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
