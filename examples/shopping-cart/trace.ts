/**
 * Where the shopping cart's recorded trace is: `data/` next to the sources, also when running
 * the build in `dist/examples/shopping-cart/`, or the directory in `PORTALS_CART_DATA`.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Path of trace file `name` (`cart.jsonl` or `restocks.jsonl`).
 *
 * @throws Error naming the places looked in when the file is not found
 */
export function traceFile(name: string): string {
  const candidates = [
    ...(process.env.PORTALS_CART_DATA ? [`${process.env.PORTALS_CART_DATA}/${name}`] : []),
    fileURLToPath(new URL(`./data/${name}`, import.meta.url)),
    fileURLToPath(new URL(`../../../examples/shopping-cart/data/${name}`, import.meta.url)),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new Error(`shopping cart: trace file ${name} not found in ${candidates.join(", ")}; set PORTALS_CART_DATA`);
  return found;
}
