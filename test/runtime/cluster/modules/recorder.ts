// Runtime C of the three-runtime scenario: writes runtime B's lines to the file PORTALS_CRASH_OUT names.
import { PortalsApp, Sinks } from "portals-ts";

export default PortalsApp("recorder", (app) => {
  const lines = app.registry.streams.get<string>("/relay/workflows/ask/stream");
  app.workflows<string, string>("record").source(lines).map((line) => line).sink(Sinks.file(process.env.PORTALS_CRASH_OUT!, { format: (line) => line }));
});
