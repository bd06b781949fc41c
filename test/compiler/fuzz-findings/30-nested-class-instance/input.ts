// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: snapshot-failure.
// [new Box(1)] kept across an await is accepted (only a direct new Box() is checked); the snapshot cannot store it.
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
class Box {
  constructor(public v: any) {}
}
export default Tasks.asker([p], async (x: any, ctx: any) => {
  const list: any = [new Box(1)];
  await p.request(1);
  return list[0].v;
});
export const events = [0];
export const expected = [
  "request p 1",
  "return 1"
];
