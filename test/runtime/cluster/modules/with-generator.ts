// An application that cannot run partitioned (it has a generator of its own): workers.test.ts deploys it
// to `portals serve --workers 2` and expects the refusal.
import { PortalsApp } from "portals-ts";

export default PortalsApp("own-source", (app) => {
  app.workflows<number, number>("copy").source(app.generators.http<number>("in").stream).map((x) => x).sink();
});
