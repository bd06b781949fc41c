// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// Closures created in a loop before an await see the frame slot of i (2, 2), not their iteration's binding (0, 1); the array of functions is also kept across the await (accepted).
// Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  const fs: any[] = [];
  for (let i = 0; i < 2; i++) {
    fs.push(() => i);
    await p.request(i);
  }
  return fs.map((g: any) => g());
});
