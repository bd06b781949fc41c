/**
 * The application of the parked-continuations snapshot workload (workload 8). It has an async
 * operator, so the benchmark imports it compiled by the project's transformer
 * (`lib/compile.ts`), never as written.
 *
 * `client` keys every number of `fromRange(0, requests, requests)` (one atom) by itself and, per
 * event, awaits one request to the `double` portal, then emits `reply + 1`. `server` replies
 * `2x`. Since the whole source is one atom, the client's step parks `requests` continuations at
 * once and sends `requests` requests; stopping the system right there (before the replier's
 * step) leaves all of them parked, which is the state the benchmark snapshots and restores.
 * Run to the end, the emitted values sum to `requests²` (Σ 2x + 1 over x < requests).
 */
import { PortalsApp, type Application } from "portals-ts";
import { sinkSummed } from "../lib/run.js";

/**
 * @param requests events of the source's one atom: continuations parked at once
 * @param sum when given, a last step adds every emitted value to `sum.value` (checks)
 */
export function parkedApp(requests: number, sum?: { value: number }): Application {
  return PortalsApp("parked", (app) => {
    const double = app.portal<number, number>("double");
    app
      .workflows<never, never>("server")
      .source(app.generators.empty<never>({ name: "idle" }).stream)
      .replier(
        double,
        () => {},
        (x, ctx) => ctx.reply(x * 2),
      )
      .sink()
      .freeze();
    const client = app
      .workflows<number, number>("client")
      .source(app.generators.fromRange(0, requests, requests, { name: "requests" }).stream)
      .key((x) => x)
      .asker<number>(double, async (x, ctx) => {
        const doubled = await double.request(x);
        ctx.emit(doubled + 1);
      });
    sinkSummed(client, sum);
  });
}
