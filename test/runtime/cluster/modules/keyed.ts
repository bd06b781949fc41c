// The producer of the partitioned scenario (workers.test.ts): numbers sent over HTTP, keyed by x mod 7,
// on /keyed/workflows/key/stream.
import { PortalsApp } from "portals-ts";

export default PortalsApp("keyed", (app) => {
  const numbers = app.generators.http<number>("in");
  app.workflows<number, number>("key").source(numbers.stream).key((x) => x % 7).map((x) => x).sink();
});
