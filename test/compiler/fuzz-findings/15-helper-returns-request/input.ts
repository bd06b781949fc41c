// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// An async helper returning p.request(n) without awaiting it is not compiled, yet awaiting it is accepted: TypeError at run time.
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
async function hr(n: any) {
  return p.request(n);
}
export default Tasks.asker([p], async (x: any, ctx: any) => {
  return await hr(3);
});
export const events = [0];
export const expected = [
  "request p 3",
  "return 4"
];
