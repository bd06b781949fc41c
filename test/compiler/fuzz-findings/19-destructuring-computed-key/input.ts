// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: unparseable-output.
// const { [await r]: v } = o: the emitted module does not parse (Unexpected identifier '$rt').
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  const o: any = { 2: "two" };
  const { [await p.request(1)]: v } = o;
  return v;
});
export const events = [0];
export const expected = undefined;
