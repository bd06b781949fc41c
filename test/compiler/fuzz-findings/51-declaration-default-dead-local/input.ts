// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// const { j = o.k } = { j: (await r, undefined) }: o, read by the default after the await, is cleared before it: TypeError.
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  const o: any = { k: 3 };
  const { j = o.k } = { j: (await p.request(1), undefined) };
  return j;
});
export const events = [0];
export const expected = [
  "request p 1",
  "return 3"
];
