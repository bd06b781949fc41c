// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// await Promise.all([p.request(1), , p.request(2)]): the hole is not a request handle, TypeError at run time (natively undefined).
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal, describe } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  return describe(await Promise.all([p.request(1), , p.request(2)] as any[]));
});
export const events = [0];
export const expected = [
  "request p 1",
  "request p 2",
  "return \"[2, undefined, 3]\""
];
