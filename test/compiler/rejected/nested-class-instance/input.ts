// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: snapshot-failure.
// [new Box(1)] kept across an await is accepted (only a direct new Box() is checked); the snapshot cannot store it.
// Refused at compile time, with the rewrite to use (errors.txt).
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
