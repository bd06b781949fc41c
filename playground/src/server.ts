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
  constructor(
    message: string,
    /** The HTTP status the server answered, or `undefined` when it was not reached. */
    readonly status?: number,
    /** The server's `{ error }` (or the status text), when it answered. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/**
 * The line Connect logs for the applications of a server: only running ones are counted, stopped
 * ones are named apart (a stopped application keeps its name, docs/live.md, "Stopping", but has
 * no portals to ask), e.g. `http://127.0.0.1:8080: 1 application (shop); stopped: old-shop`.
 */
export function describeApps(url: string, apps: readonly ServedApp[]): string {
  const running = apps.filter((a) => !a.stopped).map((a) => a.name);
  const stopped = apps.filter((a) => a.stopped).map((a) => a.name);
  const count = `${running.length} application${running.length === 1 ? "" : "s"} (${running.join(", ") || "none"})`;
  return `${url}: ${count}${stopped.length > 0 ? `; stopped: ${stopped.join(", ")}` : ""}`;
}

/** A server at `url` (e.g. `http://127.0.0.1:8080`) with `token`. */
export class ServerConnection {
  /** The server's URL as given, without a trailing `/` (paths are appended to it). */
  readonly url: string;

  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.url = url.replace(/\/+$/, "");
  }

  /**
   * Checks that the server answers at {@link url} and takes the token, changing nothing
   * (`GET /v1/auth`, docs/live.md): what Connect does before it reports success.
   *
   * @throws ServerCallError `cannot reach <url>: …` when nothing answers there (or the URL is
   *   not one), `token rejected by <url>: 401 …` for a wrong or missing token
   */
  async verify(): Promise<void> {
    try {
      await this.call("GET", "/v1/auth", undefined, undefined, true);
    } catch (thrown) {
      const status = thrown instanceof ServerCallError ? thrown.status : undefined;
      if (status === 401) throw new ServerCallError(`token rejected by ${this.url}: 401 ${thrown instanceof ServerCallError ? thrown.reason : ""}`, 401);
      if (status === 404) throw new ServerCallError(`${this.url} cannot check a token (no GET /v1/auth): is it a portals serve of this version?`, 404);
      throw thrown;
    }
  }

  /** The applications the server runs and those it stopped (`stopped: true`), in launch order. */
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

  /** Calls the server; `withToken` sends the token on a GET too (mutating calls always send it). */
  private async call(method: string, path: string, body?: string, type?: string, withToken = method !== "GET"): Promise<unknown> {
    let target: URL;
    try {
      target = new URL(path, this.url);
      if (!/^https?:$/.test(target.protocol)) throw new TypeError();
    } catch {
      throw new ServerCallError(`cannot reach ${this.url}: it is not an http(s) URL; give one like http://127.0.0.1:8080`);
    }
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: { ...(type ? { "content-type": type } : {}), ...(withToken && this.token !== "" ? { authorization: `Bearer ${this.token}` } : {}) },
        ...(body !== undefined ? { body } : {}),
      });
    } catch {
      throw new ServerCallError(`cannot reach ${this.url}: is \`portals serve --cors-origin ${location.origin}\` running there?`);
    }
    const json = (await response.json().catch(() => undefined)) as { error?: string } | undefined;
    if (!response.ok) {
      const reason = json?.error ?? response.statusText;
      throw new ServerCallError(`${method} ${path}: ${response.status} ${reason}`, response.status, reason);
    }
    return json;
  }
}
