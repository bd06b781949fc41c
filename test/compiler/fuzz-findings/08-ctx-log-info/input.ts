// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: snapshot-failure.
// ctx.log.info(String(await r)) spills ctx.log (not data) into the frame: the snapshot cannot store it.
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  ctx.log.info(String(await p.request(1)));
});
export const events = [0];
export const expected = [
  "request p 1",
  "log info 2",
  "return undefined"
];
