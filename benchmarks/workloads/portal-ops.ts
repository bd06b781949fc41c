/**
 * The portal round-trip application of workload 4. It has an async operator, so the benchmark
 * imports it compiled by the project's transformer (`lib/compile.ts`), never as written.
 *
 * `server` serves the `counter` portal: per key (`request % keys`) a counter, incremented by
 * every request and returned as the reply. `client` keys the numbers of `fromRange(0,
 * requests, atom)` by `x % keys` and, for each, awaits one request to `counter`, recording the
 * time from before the request to after the reply (`lib/latency.ts`), and emits the reply.
 */
import { PortalsApp, type Application } from "portals-ts";
import { sinkSummed } from "../lib/run.js";
import { record } from "../lib/latency.js";

/**
 * @param requests number of requests (one per source event)
 * @param keys number of distinct keys of the asker and of the replier
 * @param atom atom size of the source (requests in flight at once)
 * @param sum when given, a last step adds every reply to `sum.value` (the checksum run)
 */
export function portalApp(requests: number, keys: number, atom: number, sum?: { value: number }): Application {
  return PortalsApp(`portal-${keys}`, (app) => {
    const counter = app.portal<number, number>("counter", { key: (x) => x % keys });
    app
      .workflows<never, never>("server")
      .source(app.generators.empty<never>({ name: "idle" }).stream)
      .replier(
        counter,
        () => {},
        (_x, ctx) => {
          const count = ctx.perKey("count", 0);
          const n = count.get() + 1;
          count.set(n);
          ctx.reply(n);
        },
      )
      .sink()
      .freeze();
    const client = app
      .workflows<number, number>("client")
      .source(app.generators.fromRange(0, requests, atom, { name: "requests" }).stream)
      .key((x) => x % keys)
      .asker<number>(counter, async (x, ctx) => {
        const start = performance.now();
        const n = await counter.request(x);
        record(performance.now() - start);
        ctx.emit(n);
      });
    sinkSummed(client, sum);
  });
}
