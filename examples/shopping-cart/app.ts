/**
 * The shopping cart of the Portals demo (paper §3, scenario 1): four applications launched in
 * order (applications.ts) on a recorded trace of 100,000 cart operations and 10,000 restocks
 * with Zipf item popularity (data/, written by write-trace.ts):
 *
 *   npm run build && node dist/runtime/cli/main.js run dist/examples/shopping-cart/app.js
 *
 * The summary lists the orders, the items sold and the top 10 items; the CLI adds events/s.
 * The orders are written exactly once to orders.jsonl (or the file in PORTALS_CART_ORDERS):
 * with `--snapshot-dir DIR --snapshot-every N`, a run killed at any moment and continued with
 * `--restore` writes the same file as a run without the kill. Where there are no files (the
 * playground), excerpt.ts runs the same applications on a smaller trace generated in memory.
 */
import { Sinks } from "portals-ts";
import { shoppingCart } from "./applications.js";
import { ordersFile, recordedTrace } from "./files.js";

export default shoppingCart(recordedTrace(), Sinks.file(ordersFile()));
