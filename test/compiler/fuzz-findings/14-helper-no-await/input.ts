// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// An async helper without await is not compiled, yet awaiting it is accepted: TypeError at run time ('not a compiled async helper').
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
async function hz(n: any) {
  return Number(n) * 2;
}
export default Tasks.asker([p], async (x: any, ctx: any) => {
  await p.request(1);
  return await hz(3);
});
export const events = [0];
export const expected = [
  "request p 1",
  "return 6"
];
