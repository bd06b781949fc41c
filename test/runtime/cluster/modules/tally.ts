// A reader on another runtime of runtime A's doubled numbers (/numbers): what makes A publish them.
import { PortalsApp } from "portals-ts";

export default PortalsApp("tally", (app) => {
  app.workflows<number, number>("seen").source(app.registry.streams.get<number>("/numbers/workflows/double/stream")).map((x) => x).sink();
});
