// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// z, read only inside the nested function declaration rz, is cleared before the await: rz() returns undefined.
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  let z: any = 5;
  function rz() { return z; }
  await p.request(1);
  return rz();
});
export const events = [0];
export const expected = [
  "request p 1",
  "return 5"
];
