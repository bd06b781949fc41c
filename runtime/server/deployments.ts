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
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Application } from "../api/application.js";
import { exportedApplications } from "../api/exported.js";

/** One launched deployment. */
export interface DeploymentRecord {
  /** Its number, from 1. */
  readonly id: number;
  /** Names of the applications it launched, in order. */
  readonly apps: readonly string[];
  /** When it was launched (ISO 8601). */
  readonly at: string;
}

/** A module that could not be used: the client's fault (4xx), with the reason. */
export class DeploymentError extends Error {
  override readonly name = "DeploymentError";
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
    mkdirSync(join(this.directory, "node_modules"), { recursive: true });
    const link = join(this.directory, "node_modules", "portals-ts");
    if (!existsSync(link)) symlinkSync(packageRoot(), link, "dir");
    this.records = existsSync(this.recordFile) ? (JSON.parse(readFileSync(this.recordFile, "utf8")) as DeploymentRecord[]) : [];
  }

  /** The launched deployments, in launch order. */
  get launched(): readonly DeploymentRecord[] {
    return this.records;
  }

  /**
   * Stores `code` as the next deployment's module and imports it; returns its number and
   * applications. Call {@link Deployments.record} once they are launched, or
   * {@link Deployments.discard}.
   *
   * @throws DeploymentError when the module throws while it is imported (its message and line)
   *   or does not default-export applications
   */
  async stage(code: string): Promise<{ id: number; apps: Application[] }> {
    const id = (this.records.at(-1)?.id ?? 0) + 1;
    const file = join(this.directory, `${id}.mjs`);
    writeDurably(file, code);
    return { id, apps: await this.importModule(id, file, `deployment ${id}`) };
  }

  /** Forgets staged deployment `id` (it was refused). */
  discard(id: number): void {
    rmSync(join(this.directory, `${id}.mjs`), { force: true });
  }

  /** Records deployment `id` of `apps` as launched, durably. */
  record(id: number, apps: readonly Application[]): DeploymentRecord {
    const record = { id, apps: apps.map((a) => a.name), at: new Date().toISOString() };
    this.records = [...this.records, record];
    writeDurably(this.recordFile, JSON.stringify(this.records, null, 2) + "\n");
    return record;
  }

  /**
   * The applications of every recorded deployment, in launch order (after a restart).
   *
   * @throws DeploymentError when a recorded module no longer imports
   */
  async load(): Promise<Application[]> {
    const apps: Application[] = [];
    for (const r of this.records) apps.push(...(await this.importModule(r.id, join(this.directory, `${r.id}.mjs`), `deployment ${r.id}`)));
    return apps;
  }

  private async importModule(id: number, file: string, name: string): Promise<Application[]> {
    let loaded: { default?: unknown };
    try {
      // A number is used again after a refused deployment: the query makes it a new module for
      // Node's module cache, which would hand back the refused one.
      loaded = (await import(`${pathToFileURL(file).href}?v=${id}-${Date.now()}`)) as { default?: unknown };
    } catch (thrown) {
      throw new DeploymentError(`${name} threw while it was imported: ${(thrown as Error)?.stack?.split("\n").slice(0, 2).join(" ") ?? String(thrown)}`);
    }
    try {
      return exportedApplications(loaded.default, name);
    } catch (thrown) {
      throw new DeploymentError((thrown as Error).message);
    }
  }
}

/** Writes `text` to `file` so that a crash leaves the old file or the new one, never a part. */
function writeDurably(file: string, text: string): void {
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, text);
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
