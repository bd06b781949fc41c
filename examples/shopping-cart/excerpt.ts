/**
 * The shopping cart where there are no files (the playground's example): the four applications
 * of app.ts (applications.ts) on a trace of 10,000 cart operations and 1,000 restocks generated
 * in memory by the same seeded generator as the recorded one. The orders stay on the orders
 * workflow's stream, which analytics reads; its summary ends the log.
 */
import { shoppingCart } from "./applications.js";
import { generatedTrace, TRACE } from "./generate.js";

export default shoppingCart(generatedTrace({ ...TRACE, cartOps: 10_000, restocks: 1_000 }));
