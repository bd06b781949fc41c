// Runtime B of the portal scenario: for each number sent over HTTP, awaits runtime A's counter and
// writes "x:count" lines to the file PORTALS_CRASH_OUT names: a request applied twice or lost
// changes every later count of its key.
import { PortalsApp, Sinks } from "portals-ts";

export default PortalsApp("bumper", (app) => {
  const bump = app.registry.portals.get<number, number>("/counter/portals/bump");
  app
    .workflows<number, string>("ask")
    .source(app.generators.http<number>("in").stream)
    .asker(bump, async (x, ctx) => {
      ctx.emit(`${x}:${await bump.request(x)}`);
    })
    .sink(Sinks.file(process.env.PORTALS_CRASH_OUT!, { format: (line) => line }));
});
