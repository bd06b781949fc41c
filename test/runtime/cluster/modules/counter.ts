// Runtime A of the portal scenario: a keyed counter portal; each request adds one to the count of
// its key (x mod 7) and replies with the new count.
import { PortalsApp } from "portals-ts";

export default PortalsApp("counter", (app) => {
  const bump = app.portal<number, number>("bump", { key: (x) => x % 7 });
  app
    .workflows<never, never>("count")
    .source(app.generators.empty<never>().stream)
    .replier(
      bump,
      () => {},
      (x, ctx) => {
        const count = ctx.perKey("count", 0);
        count.set(count.get() + 1);
        ctx.reply(count.get());
      },
    )
    .sink();
});
