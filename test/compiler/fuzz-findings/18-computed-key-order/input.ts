// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// In { [k]: await r }, the computed key is evaluated after the await (natively before).
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal, tap, describe } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  return describe({ [tap("key", "k")]: await p.request(1) });
});
export const events = [0];
export const expected = [
  "note key \"k\"",
  "request p 1",
  "return \"{\\\"k\\\": 2}\""
];
