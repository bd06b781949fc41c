/**
 * The Server panel of the page (docs/playground.md, "Connect"): Connect checks a `portals serve`
 * URL and token and lists the server's portals, Ask sends one of them a JSON request, and a
 * deployment the worker bundled is uploaded. What it says goes to the page's log. Editing the URL
 * or the token after Connect disconnects, so the fields always say what the page sends.
 */
import type { Problem } from "./compile.js";
import { describeApps, ServerConnection } from "./server.js";

/** What the panel needs of the page. */
export interface PanelPage {
  /** Appends lines to the log. */
  log(lines: readonly string[]): void;
  /** Shows the compiler's problems of a deployment's bundle. */
  showProblems(problems: readonly Problem[]): void;
  /** Shows a short state in the page's status. */
  status(text: string): void;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** See the module header; mounts itself on the panel's elements. */
export class ServerPanel {
  private connection: ServerConnection | undefined;

  constructor(private readonly page: PanelPage) {
    $("connect").onclick = () => void this.connect();
    $("ask").onclick = () => void this.ask();
    for (const id of ["server-url", "server-token"]) {
      $(id).addEventListener("input", () => {
        if (this.connection === undefined) return;
        this.disconnect();
        page.status("server changed: Connect again");
      });
    }
  }

  /** Whether a Connect succeeded (and the fields were not edited since). */
  get connected(): boolean {
    return this.connection !== undefined;
  }

  /** Uploads the bundle `code` of the editor's module, or logs why not (its first error, or no server). */
  async deploy(code: string | undefined, problems: readonly Problem[]): Promise<void> {
    this.page.showProblems(problems);
    const connection = this.connection;
    if (connection === undefined) return this.page.log(["Error: not connected: Connect to a server first"]);
    if (code === undefined) {
      const first = problems.find((p) => p.severity === "error")!;
      return this.page.log([`Error: ${first.message} (line ${first.line}, column ${first.column})`]);
    }
    try {
      this.page.log([`${connection.url}: ${await connection.deploy(code)}`]);
      await this.listPortals(connection);
    } catch (thrown) {
      this.page.log([`Error: ${(thrown as Error).message}`]);
    }
  }

  private async connect(): Promise<void> {
    try {
      const connection = new ServerConnection($<HTMLInputElement>("server-url").value.trim(), $<HTMLInputElement>("server-token").value);
      await connection.verify();
      await this.listPortals(connection);
      this.connection = connection;
      $<HTMLButtonElement>("deploy").disabled = false;
      $<HTMLButtonElement>("ask").disabled = false;
    } catch (thrown) {
      this.disconnect();
      this.page.log([`Error: ${(thrown as Error).message}`]);
    }
  }

  /** Forgets the server: Deploy and Ask wait for the next Connect. */
  private disconnect(): void {
    this.connection = undefined;
    $<HTMLButtonElement>("deploy").disabled = true;
    $<HTMLButtonElement>("ask").disabled = true;
    $<HTMLSelectElement>("portal").replaceChildren();
  }

  private async listPortals(connection: ServerConnection): Promise<void> {
    const apps = await connection.apps();
    $<HTMLSelectElement>("portal").replaceChildren(...apps.filter((a) => !a.stopped).flatMap((a) => a.portals.map((p) => new Option(p, p))));
    this.page.log([describeApps(connection.url, apps)]);
  }

  private async ask(): Promise<void> {
    const portal = $<HTMLSelectElement>("portal").value;
    const connection = this.connection;
    if (connection === undefined) return this.page.log(["Error: not connected: Connect to a server first"]);
    if (portal === "") return this.page.log(["Error: no portal to ask: the server runs none; deploy an application with a portal, then Connect again"]);
    let request: unknown;
    try {
      request = JSON.parse($<HTMLInputElement>("request").value);
    } catch {
      return this.page.log(["Error: the request is not JSON: write it as JSON, e.g. {} or 42"]);
    }
    try {
      this.page.log([`${portal} ← ${JSON.stringify(request)} → ${JSON.stringify(await connection.ask(portal, request))}`]);
    } catch (thrown) {
      this.page.log([`Error: ${(thrown as Error).message}`]);
    }
  }
}
