// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// await Promise.all(xs.map((v) => h0(v))): the helpers run as native async functions in compiled code: TypeError at run time.
// Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
async function h0(n: any) {
  return (await p.request(n)) * 10;
}
export default Tasks.asker([p], async (x: any, ctx: any) => {
  return await Promise.all([1, 2].map((v: any) => h0(v)));
});
