// Events and replies JSON cannot always hold: n becomes an array nested n deep (0: undefined).
import { PortalsApp } from "portals-ts";

/** `[…[0]…]`, `n` arrays deep; `undefined` for 0. */
function nest(n: number): unknown {
  if (n === 0) return undefined;
  let v: unknown = 0;
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

export default PortalsApp("deep", (app) => {
  app.workflows<number, unknown>("nested").source(app.generators.http<number>("in").stream).map((n) => nest(n)).sink();
  const nested = app.portal<number, unknown>("nested");
  app.workflows<never, never>("serve").source(app.generators.empty<never>().stream).replier(nested, () => {}, (n, ctx) => ctx.reply(nest(n))).sink();
});
