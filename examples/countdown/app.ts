/**
 * Countdown: an asker-replier that asks itself. Serving `x > 0`, it logs `x` and awaits its own
 * portal with `x - 1` before replying; the top-level request from `signal(8)` returns only when
 * every level has answered, and its continuation logs `Done!` (docs/semantics.md, rule 9).
 *
 * Output: 8 7 6 5 4 3 2 1 Done! (one per line).
 */
import { PortalsApp } from "portals-ts";

export default PortalsApp("countdown", (app) => {
  const countdown = app.portal<number, number>("countdown");
  app
    .workflows<number, never>("countdown")
    .source(app.generators.signal(8, { name: "start" }).stream)
    .askerReplier(
      countdown,
      countdown,
      async (x, ctx) => {
        await countdown.request(x);
        ctx.log.info("Done!");
      },
      async (x, ctx) => {
        if (x === 0) {
          ctx.reply(0);
          return;
        }
        ctx.log.info(String(x));
        ctx.reply((await countdown.request(x - 1)) + 1);
      },
    )
    .sink()
    .freeze();
});
