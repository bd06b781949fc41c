// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: snapshot-failure.
// The receiver recv("r") (an object with a method) is spilled into the frame across the await: the snapshot cannot store it.
// Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal, recv } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  return recv("r").m(await p.request(1));
});
