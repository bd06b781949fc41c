/**
 * The edge device's application (examples/edge/README.md): temperature readings come in over
 * HTTP. Alarms for readings above 30 °C are written on the device (`EDGE_ALARMS`, default
 * `alarms.jsonl`), also while the cloud cannot be reached; every reading goes on
 * `/sensors/workflows/readings/stream`, which the cloud's dashboard reads.
 */
import { PortalsApp, Sinks } from "portals-ts";

/** One reading of one sensor. */
export interface Reading {
  readonly sensor: string;
  readonly celsius: number;
}

export default PortalsApp("sensors", (app) => {
  const readings = app.generators.http<Reading>("in");
  app
    .workflows<Reading, string>("alarms")
    .source(readings.stream)
    .filter((r) => r.celsius > 30)
    .map((r) => `${r.sensor} is at ${r.celsius} °C`)
    .sink(Sinks.file(process.env.EDGE_ALARMS ?? "alarms.jsonl"));
  app.workflows<Reading, Reading>("readings").source(readings.stream).map((r) => r).sink();
});
