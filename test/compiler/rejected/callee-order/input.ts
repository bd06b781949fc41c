// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// The callee expression callee("f", 1) is evaluated after the await in its argument (natively before).
// Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal, callee } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  return callee("f", 1)(await p.request(1));
});
