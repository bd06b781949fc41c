// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: snapshot-failure.
// A generator object kept across an await is accepted; the snapshot cannot store it.
// Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  const g: any = (function* () { yield 1; yield 2; })();
  g.next();
  await p.request(1);
  return g.next().value;
});
