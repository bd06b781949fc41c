// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// for...of over a generator takes all its elements when the loop starts: the generator's side effects move before the loop body.
// Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal, tap } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  for (const v of (function* () { tap("g", 1); yield 1; tap("g", 2); yield 2; })()) {
    await p.request(v);
  }
});
