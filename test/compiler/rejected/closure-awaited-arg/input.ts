// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// g(await r): g is cleared as dead before the await (its use as callee comes after it), then called: TypeError. Also a function kept across an await, accepted.
// Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  const g = (u: any) => u * 2;
  return g(await p.request(1));
});
