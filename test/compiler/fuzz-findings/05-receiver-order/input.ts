// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: snapshot-failure.
// The receiver recv("r") (an object with a method) is spilled into the frame across the await: the snapshot cannot store it.
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal, recv } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  return recv("r").m(await p.request(1));
});
export const events = [0];
export const expected = [
  "note recv r",
  "request p 1",
  "note m r 2 1",
  "return 2"
];
