// Runtime B of the three-runtime scenario: reads runtime A's doubled numbers, asks runtime C's
// counter for each, and emits "x:count" on /relay/workflows/ask/stream.
import { PortalsApp } from "portals-ts";

export default PortalsApp("relay", (app) => {
  const doubled = app.registry.streams.get<number>("/numbers/workflows/double/stream");
  const bump = app.registry.portals.get<number, number>("/counter/portals/bump");
  app
    .workflows<number, string>("ask")
    .source(doubled)
    .asker(bump, async (x, ctx) => {
      ctx.emit(`${x}:${await bump.request(x)}`);
    })
    .sink();
});
