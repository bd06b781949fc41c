// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// switch with default first, falling through into a case whose test awaits: t, read by the default body, is cleared before the await (NaN instead of 8).
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  let a: any = 0;
  const t: any = 7;
  switch (x) {
    default:
      a = t;
    case await p.request(5):
      a += 1;
  }
  return a;
});
export const events = [0];
export const expected = [
  "request p 5",
  "return 8"
];
