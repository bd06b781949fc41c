// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: unparseable-output.
// An await-free labelled loop with var in its head is emitted as for (var $L.i = 0; ...): the module does not parse.
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  let a: any = await p.request(1);
  L: for (var i = 0; i < 2; i++) {
    if (i === 1) break L;
    a++;
  }
  return a;
});
export const events = [0];
export const expected = undefined;
