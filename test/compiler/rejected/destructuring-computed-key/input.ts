// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: unparseable-output.
// const { [await r]: v } = o: the emitted module does not parse (Unexpected identifier '$rt').
// Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  const o: any = { 2: "two" };
  const { [await p.request(1)]: v } = o;
  return v;
});
