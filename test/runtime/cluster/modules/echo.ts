// A portal that answers each request with itself: workers.test.ts asks it through the front of
// `portals serve --workers 2` (a JSON body passed on to worker 0, which forwards the ask here).
import { PortalsApp } from "portals-ts";

export default PortalsApp("echo", (app) => {
  const echo = app.portal<unknown, unknown>("echo");
  app.workflows<never, never>("serve").source(app.generators.empty<never>().stream).replier(echo, () => {}, (request, ctx) => ctx.reply(request)).sink();
});
