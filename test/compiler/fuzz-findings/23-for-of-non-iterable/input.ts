// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// for (const v of 5) runs zero times compiled ($rt.iterable gives []); natively it throws TypeError.
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  let a: any = 5;
  for (const v of a as any) {
    await p.request(v);
  }
  return "done";
});
export const events = [0];
export const expected = [
  "throw TypeError(a is not iterable)"
];
