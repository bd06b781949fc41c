// An application that reads the stream of an application that is not running.
import { PortalsApp } from "portals-ts";

export default PortalsApp("reader", (app) => {
  app.workflows("w").source(app.registry.streams.get("/missing/workflows/w/stream")).identity().sink();
});
