// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: snapshot-failure.
// A portal ref passed to a helper is a parameter of the helper's frame: the snapshot cannot store it (it has functions).
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal, describe } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
const q = portal("q", (n: any): any => ({ n: Number(n) | 0, list: [1, n] }));
async function h0(n: any, r: any) {
  return await r.request(n);
}
export default Tasks.asker([p, q], async (x: any, ctx: any) => {
  return describe(await h0(1, q));
});
export const events = [0];
export const expected = [
  "request q 1",
  "return \"{\\\"n\\\": 1, \\\"list\\\": [1, 1]}\""
];
