// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: snapshot-failure.
// The receiver o of o.m(await ...) is spilled into the frame (an object with a method): the snapshot cannot store it.
// Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  let o: any = { m(v: any) { return "first " + v; } };
  return o.m((o = { m: (v: any) => "second " + v }, await p.request(1)));
});
