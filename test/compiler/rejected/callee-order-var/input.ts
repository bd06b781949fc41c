// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// add(a)(...) is evaluated after the await: it sees a = 10 instead of a = 1.
// Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
const add = (u: any) => (v: any) => u + v;
export default Tasks.asker([p], async (x: any, ctx: any) => {
  let a: any = 1;
  return add(a)((a = 10, await p.request(1)));
});
