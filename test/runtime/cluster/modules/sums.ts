// Runtime B of the stream scenario: reads runtime A's doubled numbers, keeps a running sum per key
// (x mod 7) and writes "x:sum" lines to the file PORTALS_CRASH_OUT names: a lost or repeated atom
// changes every later sum of its key.
import { PortalsApp, Sinks } from "portals-ts";

export default PortalsApp("sums", (app) => {
  const doubled = app.registry.streams.get<number>("/numbers/workflows/double/stream");
  app
    .workflows<number, string>("sum")
    .source(doubled)
    .key((x) => x % 7)
    .map((x, ctx) => {
      const sum = ctx.perKey("sum", 0);
      sum.set(sum.get() + x);
      return `${x}:${sum.get()}`;
    })
    .sink(Sinks.file(process.env.PORTALS_CRASH_OUT!, { format: (line) => line }));
});
