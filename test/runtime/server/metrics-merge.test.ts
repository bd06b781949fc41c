/**
 * The metrics of a front's workers as one scrape (docs/cluster.md, "Partitioned applications"):
 * every sample labelled with its worker, each family in one piece under one HELP and TYPE, and
 * which workers answered.
 */
import { expect, test } from "vitest";
import { mergeMetrics } from "../../../runtime/server/metrics-merge.js";

const scrape = (cpu: number, asks: number) =>
  [
    "# HELP portals_cpu_seconds_total CPU time",
    "# TYPE portals_cpu_seconds_total counter",
    `portals_cpu_seconds_total ${cpu}`,
    "",
    "# HELP portals_portal_requests_total Outside asks",
    "# TYPE portals_portal_requests_total counter",
    `portals_portal_requests_total{app="shop",portal="/shop/portals/cart",outcome="reply"} ${asks}`,
    "# HELP portals_lag Lag",
    "# TYPE portals_lag histogram",
    'portals_lag_bucket{le="+Inf"} 3',
    "portals_lag_sum 0.5",
    "portals_lag_count 3",
    "",
  ].join("\n");

test("each worker's samples get its label, and each family stays in one piece", () => {
  expect(mergeMetrics([{ runtime: "w-0", text: scrape(1.5, 2) }, { runtime: "w-1", text: scrape(2.5, 7) }, { runtime: "w-2", text: undefined }])).toBe(
    [
      "# HELP portals_worker_up Whether the worker answered this scrape (1) or not (0)",
      "# TYPE portals_worker_up gauge",
      'portals_worker_up{worker="w-0"} 1',
      'portals_worker_up{worker="w-1"} 1',
      'portals_worker_up{worker="w-2"} 0',
      "# HELP portals_cpu_seconds_total CPU time",
      "# TYPE portals_cpu_seconds_total counter",
      'portals_cpu_seconds_total{worker="w-0"} 1.5',
      'portals_cpu_seconds_total{worker="w-1"} 2.5',
      "# HELP portals_portal_requests_total Outside asks",
      "# TYPE portals_portal_requests_total counter",
      'portals_portal_requests_total{worker="w-0",app="shop",portal="/shop/portals/cart",outcome="reply"} 2',
      'portals_portal_requests_total{worker="w-1",app="shop",portal="/shop/portals/cart",outcome="reply"} 7',
      "# HELP portals_lag Lag",
      "# TYPE portals_lag histogram",
      'portals_lag_bucket{worker="w-0",le="+Inf"} 3',
      'portals_lag_sum{worker="w-0"} 0.5',
      'portals_lag_count{worker="w-0"} 3',
      'portals_lag_bucket{worker="w-1",le="+Inf"} 3',
      'portals_lag_sum{worker="w-1"} 0.5',
      'portals_lag_count{worker="w-1"} 3',
      "",
    ].join("\n"),
  );
});

test("a worker name with a quote or backslash is escaped, and an empty label set takes the worker alone", () => {
  expect(mergeMetrics([{ runtime: 'a"b\\c', text: "x{} 1\n" }])).toBe(
    ['# HELP portals_worker_up Whether the worker answered this scrape (1) or not (0)', "# TYPE portals_worker_up gauge", 'portals_worker_up{worker="a\\"b\\\\c"} 1', 'x{worker="a\\"b\\\\c"} 1', ""].join("\n"),
  );
});
