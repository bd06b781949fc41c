// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-restored.
// After a snapshot/restore, an Error has an own enumerable name property (Object.keys(e) is ["name"], natively []).
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  const e = new Error("u:data");
  await p.request(1);
  return Object.keys(e).join(",");
});
export const events = [0];
export const expected = [
  "request p 1",
  "return \"\""
];
