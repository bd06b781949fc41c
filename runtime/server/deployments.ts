/**
 * The deployments of a server, in its data directory (docs/live.md, "The server"):
 *
 *   <dataDir>/deployments/<n>.mjs            each uploaded module bundle, as uploaded
 *   <dataDir>/deployments/node_modules/portals-ts → the package the server runs, so a bundle's
 *                                            `import … from "portals-ts"` is the server's copy
 *   <dataDir>/deployments.json               the launched deployments in launch order, written
 *                                            durably before the launch is acknowledged
 *
 * A restarted server imports the recorded bundles in order and restores their applications.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Application } from "../api/application.js";
import { exportedApplications } from "../api/exported.js";
import { parsePartition, showPartition, type Partition } from "../core/partition.js";

/** One launched deployment. */
export interface DeploymentRecord {
  /** Its number, from 1. */
  readonly id: number;
  /** Names of the applications it launched (or upgraded), in order. */
  readonly apps: readonly string[];
  /** When it was launched (ISO 8601). */
  readonly at: string;
  /** An upgrade recorded before it was done: a crash may have come first (see {@link Deployments.dropPending}). */
  readonly pending?: true;
  /** The partition its applications run as, `"<index>/<count>"` (docs/cluster.md, "Partitioned applications"). */
  readonly partition?: string;
}

/** How long a deployment's module may take to load (its top-level code) before it is refused. */
const IMPORT_TIMEOUT_MS = 30_000;

/** A module that could not be used: the client's fault (4xx), with the reason. */
export class DeploymentError extends Error {
  override readonly name = "DeploymentError";
}

/**
 * Points `link` (the deployed modules' `portals-ts`) at the package this process runs: a data
 * directory first served by another install (an upgrade, another checkout, one since deleted)
 * had its modules import that one, and the applications they built were refused as made by
 * another copy of portals-ts (or the link dangled and making it failed).
 */
function linkPackage(link: string): void {
  let target: string | undefined;
  try {
    target = readlinkSync(link);
  } catch (thrown) {
    // Not a link (a package put there by hand): left as it is.
    if ((thrown as NodeJS.ErrnoException).code !== "ENOENT") return;
  }
  if (target === packageRoot()) return;
  if (target !== undefined) rmSync(link, { force: true });
  symlinkSync(packageRoot(), link, "dir");
}

/** See the module header. */
export class Deployments {
  private readonly directory: string;
  private readonly recordFile: string;
  private records: DeploymentRecord[];

  /** @throws Error when the directories cannot be made or the record cannot be read */
  constructor(dataDir: string) {
    this.directory = join(dataDir, "deployments");
    this.recordFile = join(dataDir, "deployments.json");
    mkdirSync(join(this.directory, "node_modules"), { recursive: true, mode: 0o700 });
    linkPackage(join(this.directory, "node_modules", "portals-ts"));
    this.records = existsSync(this.recordFile) ? (JSON.parse(readFileSync(this.recordFile, "utf8")) as DeploymentRecord[]) : [];
    // Left by a crash in the middle of a write: the write was not done, so nothing refers to them.
    for (const f of readdirSync(this.directory)) if (f.endsWith(".tmp")) rmSync(join(this.directory, f), { force: true });
    rmSync(`${this.recordFile}.tmp`, { force: true });
  }

  /** The launched deployments, in launch order. */
  get launched(): readonly DeploymentRecord[] {
    return this.records;
  }

  /**
   * Stores `code` as the next deployment's module and imports it; returns its number and
   * applications (as `partition`, when given). Call {@link Deployments.record} once they are
   * launched, or {@link Deployments.discard}.
   *
   * @throws DeploymentError when the module throws while it is imported (its message and line)
   *   or does not default-export applications; its file is removed then
   */
  async stage(code: string, partition?: Partition): Promise<{ id: number; apps: Application[] }> {
    const id = (this.records.at(-1)?.id ?? 0) + 1;
    const file = join(this.directory, `${id}.mjs`);
    writeDurably(file, code);
    try {
      // Numbers of refused deployments are used again: "the module", not "deployment <id>".
      return { id, apps: asPartition(await this.importModule(id, file, "the module"), partition) };
    } catch (thrown) {
      this.discard(id);
      throw thrown;
    }
  }

  /** Forgets staged deployment `id` (it was refused). */
  discard(id: number): void {
    rmSync(join(this.directory, `${id}.mjs`), { force: true });
  }

  /**
   * Records deployment `id` of `apps` as launched, durably. An upgrade is recorded `pending`
   * before it is done, then {@link Deployments.settle}d (or {@link Deployments.forget}ten).
   */
  record(id: number, apps: readonly Application[], pending = false): DeploymentRecord {
    const partition = apps[0]?.partition;
    const record: DeploymentRecord = {
      id,
      apps: apps.map((a) => a.name),
      at: new Date().toISOString(),
      ...(pending ? { pending: true as const } : {}),
      ...(partition !== undefined ? { partition: showPartition(partition) } : {}),
    };
    this.write([...this.records, record]);
    return record;
  }

  /** Deployment `id`'s upgrade is done. */
  settle(id: number): void {
    this.write(this.records.map((r) => (r.id === id ? { id: r.id, apps: r.apps, at: r.at, ...(r.partition !== undefined ? { partition: r.partition } : {}) } : r)));
  }

  /** Deployment `id` did not happen: its record and module go. */
  forget(id: number): void {
    this.write(this.records.filter((r) => r.id !== id));
    this.discard(id);
  }

  /** True when an upgrade was recorded and not settled (the server stopped during it). */
  get hasPending(): boolean {
    return this.records.some((r) => r.pending === true);
  }

  /** Forgets the upgrades that were not settled (after a crash before their checkpoint). */
  dropPending(): void {
    for (const r of this.records.filter((r) => r.pending === true)) this.forget(r.id);
  }

  /** Settles the upgrades that were not settled (their checkpoint was stored). */
  settlePending(): void {
    for (const r of this.records.filter((r) => r.pending === true)) this.settle(r.id);
  }

  private write(records: DeploymentRecord[]): void {
    writeDurably(this.recordFile, JSON.stringify(records, null, 2) + "\n");
    this.records = records;
  }

  /**
   * The applications of every recorded deployment, in launch order, each in its newest version
   * (after a restart).
   *
   * @throws DeploymentError when a recorded module no longer imports
   */
  async load(): Promise<Application[]> {
    // An upgrade's version takes the place of the one it replaced, in launch order.
    const apps = new Map<string, Application>();
    for (const r of this.records) {
      const partition = r.partition === undefined ? undefined : parsePartition(r.partition);
      for (const app of asPartition(await this.importModule(r.id, join(this.directory, `${r.id}.mjs`), `deployment ${r.id}`), partition)) apps.set(app.name, app);
    }
    return [...apps.values()];
  }

  private async importModule(id: number, file: string, name: string): Promise<Application[]> {
    let loaded: { default?: unknown };
    try {
      // A number is used again after a refused deployment: the query makes it a new module for
      // Node's module cache, which would hand back the refused one.
      const imported = import(`${pathToFileURL(file).href}?v=${id}-${Date.now()}`) as Promise<{ default?: unknown }>;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`it did not finish loading within ${IMPORT_TIMEOUT_MS / 1000} s (a top-level await that does not end?)`)), IMPORT_TIMEOUT_MS);
      });
      try {
        loaded = await Promise.race([imported, late]);
      } finally {
        clearTimeout(timer);
      }
    } catch (thrown) {
      const [message, frame] = (thrown as Error)?.stack?.split("\n") ?? [String(thrown)];
      throw new DeploymentError(`${name} threw while it was imported: ${message}${frame === undefined ? "" : ` (${frame.trim()})`}`);
    }
    try {
      return exportedApplications(loaded.default, name);
    } catch (thrown) {
      throw new DeploymentError((thrown as Error).message);
    }
  }
}

/** `apps`, each as `partition` when given. */
function asPartition(apps: Application[], partition: Partition | undefined): Application[] {
  return partition === undefined ? apps : apps.map((a) => a.asPartition(partition.index, partition.count));
}

/** Writes `text` to `file` so that a crash leaves the old file or the new one, never a part. */
function writeDurably(file: string, text: string): void {
  const temporary = `${file}.tmp`;
  // Deployed code and its records are the server user's only, like the data directory.
  writeFileSync(temporary, text, { mode: 0o600 });
  const fd = openSync(temporary, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  const dir = openSync(dirname(file), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** The directory of the portals-ts package this module belongs to. */
function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "portals-ts") return dir;
  }
  throw new Error("the portals-ts package directory cannot be found above " + fileURLToPath(import.meta.url));
}
