// The reader of workers.test.ts: every partition's lines of /partial/workflows/sum/stream, into the file
// PORTALS_CRASH_OUT names.
import { PortalsApp, Sinks } from "portals-ts";

export default PortalsApp("sum-recorder", (app) => {
  const lines = app.registry.streams.get<string>("/partial/workflows/sum/stream");
  app.workflows<string, string>("record").source(lines).map((line) => line).sink(Sinks.file(process.env.PORTALS_CRASH_OUT!, { format: (line) => line }));
});
