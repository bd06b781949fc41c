/**
 * Writes the recorded trace of the shopping cart, `data/cart.jsonl` and `data/restocks.jsonl`,
 * from the generator with the options in `TRACE` (generate.ts):
 *
 *   npx tsx examples/shopping-cart/write-trace.ts
 */
import { writeFileSync } from "node:fs";
import { generateTrace, jsonLines, TRACE } from "./generate.js";

const { cart, restocks } = generateTrace(TRACE);
writeFileSync(new URL("./data/cart.jsonl", import.meta.url), jsonLines(cart));
writeFileSync(new URL("./data/restocks.jsonl", import.meta.url), jsonLines(restocks));
console.log(`wrote ${cart.length} cart operations and ${restocks.length} restocks`);
