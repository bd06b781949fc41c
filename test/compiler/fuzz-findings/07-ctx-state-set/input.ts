// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: snapshot-failure.
// ctx.state.set(k, a * (await r)) spills ctx.state (not data) into the frame: the snapshot cannot store it.
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  let a: any = 2;
  ctx.state.set("k", a * (await p.request(1)));
});
export const events = [0];
export const expected = [
  "request p 1",
  "set 0/k 4",
  "return undefined"
];
