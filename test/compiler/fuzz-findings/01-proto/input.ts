// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// A local named __proto__ is stored as $L.__proto__ = 3, which sets the frame's prototype instead of a slot.
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal, describe } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  let __proto__: any = 3;
  await p.request(1);
  return describe(__proto__);
});
export const events = [0];
export const expected = [
  "request p 1",
  "return \"3\""
];
