/**
 * Connect: the page as a client of a `portals serve` server (docs/live.md, "The server"), which
 * must list the page's origin with `--cors-origin`. Reads are open; asks and deployments send
 * the token the user typed (it stays in the page's memory, never in the URL or storage).
 */

/** An application a server runs, as `GET /v1/apps` lists it. */
export interface ServedApp {
  readonly name: string;
  readonly portals: readonly string[];
  readonly stopped: boolean;
}

/** A call that failed: the server's `{ error }` with its status, or why the server was not reached. */
export class ServerCallError extends Error {
  override readonly name = "ServerCallError";
}

/** A server at `url` (e.g. `http://127.0.0.1:8080`) with `token`. */
export class ServerConnection {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  /** The applications the server runs. */
  async apps(): Promise<ServedApp[]> {
    return ((await this.call("GET", "/v1/apps")) as { apps: ServedApp[] }).apps;
  }

  /** Asks portal `path` (`/<app>/portals/<portal>`) with `request`; resolves with the reply. */
  async ask(path: string, request: unknown): Promise<unknown> {
    const [, app, , portal] = path.split("/");
    return ((await this.call("POST", `/v1/portals/${encodeURIComponent(app!)}/${encodeURIComponent(portal!)}`, JSON.stringify(request), "application/json")) as { reply: unknown }).reply;
  }

  /** Deploys an ES module bundle; resolves with the server's one-line account of what it did. */
  async deploy(code: string): Promise<string> {
    const result = (await this.call("POST", "/v1/deployments", code, "application/javascript")) as { deployment: number; apps?: { name: string }[]; upgraded?: string[] };
    return result.upgraded !== undefined ? `deployment ${result.deployment} upgraded ${result.upgraded.join(", ")}` : `deployment ${result.deployment} launched ${result.apps!.map((a) => a.name).join(", ")}`;
  }

  private async call(method: string, path: string, body?: string, type?: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.url), {
        method,
        headers: { ...(type ? { "content-type": type } : {}), ...(method === "GET" ? {} : { authorization: `Bearer ${this.token}` }) },
        ...(body !== undefined ? { body } : {}),
      });
    } catch {
      throw new ServerCallError(`cannot reach ${this.url}: is \`portals serve --cors-origin ${location.origin}\` running there?`);
    }
    const json = (await response.json().catch(() => undefined)) as { error?: string } | undefined;
    if (!response.ok) throw new ServerCallError(`${method} ${path}: ${response.status} ${json?.error ?? response.statusText}`);
    return json;
  }
}
