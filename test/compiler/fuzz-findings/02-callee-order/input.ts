// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// The callee expression callee("f", 1) is evaluated after the await in its argument (natively before).
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal, callee } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  return callee("f", 1)(await p.request(1));
});
export const events = [0];
export const expected = [
  "note callee f 1",
  "request p 1",
  "note call f 1 2",
  "return 3"
];
