// The partitioned application of workers.test.ts, deployed to `portals serve --workers 2`: a running sum
// per key of /keyed/workflows/key/stream, as "x:sum", on its own stream. Each worker holds the sums of
// the keys that hash to its partition.
import { PortalsApp } from "portals-ts";

export default PortalsApp("partial", (app) => {
  app
    .workflows<number, string>("sum")
    .source(app.registry.streams.get<number>("/keyed/workflows/key/stream"))
    .map((x, ctx) => {
      const sum = ctx.perKey("sum", 0);
      sum.set(sum.get() + x);
      return `${x}:${sum.get()}`;
    })
    .sink();
});
