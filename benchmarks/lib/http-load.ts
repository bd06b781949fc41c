/**
 * HTTP load for the server benchmarks (`server.ts`, `sql.ts`): autocannon posting JSON bodies
 * with a bearer token, summarized as requests/s and latency percentiles.
 */
import autocannon from "autocannon";

/** Connections autocannon keeps open in every HTTP benchmark. */
export const CONNECTIONS = 64;

/** What one load run measured: requests/s, p50 and p99 latency in ms, errors and non-2xx answers. */
export interface Load {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

/**
 * Posts `body(0)`, `body(1)`, … as JSON to `url` with {@link CONNECTIONS} connections for
 * `seconds`, authorized with `token`.
 */
export async function load(url: string, token: string, body: (i: number) => unknown, seconds: number): Promise<Load> {
  let i = 0;
  const result = await autocannon({
    url,
    method: "POST",
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify(body(i++)) }) }],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}
