/**
 * The cloud's application (examples/edge/README.md): reads the edge device's readings from
 * another runtime of the cluster by path, keeps per sensor the number of readings and the
 * highest temperature, and answers them through the portal `stats`.
 */
import { PortalsApp } from "portals-ts";
import type { Reading } from "./sensors.js";

/** What the dashboard knows of a sensor. */
export interface SensorStats {
  readonly readings: number;
  readonly max: number | null;
}

export default PortalsApp("dashboard", (app) => {
  const readings = app.registry.streams.get<Reading>("/sensors/workflows/readings/stream");
  const stats = app.portal<string, SensorStats>("stats", { key: (sensor) => sensor });
  app
    .workflows<Reading, never>("stats")
    .source(readings)
    .key((r) => r.sensor)
    .replier(
      stats,
      (r, ctx) => {
        const s = ctx.perKey<SensorStats>("stats", { readings: 0, max: null });
        s.set({ readings: s.get().readings + 1, max: Math.max(s.get().max ?? r.celsius, r.celsius) });
      },
      (_sensor, ctx) => ctx.reply(ctx.perKey<SensorStats>("stats", { readings: 0, max: null }).get()),
    )
    .sink();
});
