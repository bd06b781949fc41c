// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-restored.
// After a snapshot/restore, a null-prototype object comes back with Object.prototype (holes and non-index array properties survive).
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal, describe } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  const d: any = Object.assign(Object.create(null), { k: 1 });
  const s: any = [1, , 3];
  const e: any = Object.assign([1, 2], { extra: "x" });
  await p.request(1);
  return describe([d, s, e]);
});
export const events = [0];
export const expected = [
  "request p 1",
  "return \"[null-proto{\\\"k\\\": 1}, [1, <hole>, 3], [1, 2, \\\"extra\\\": \\\"x\\\"]]\""
];
