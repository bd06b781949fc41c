// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-compiled.
// fnMap.get(a)(...) is evaluated after the await: the key was changed by the argument.
// Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal, tap } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
const fnMap = new Map<any, any>([[0, (v: any) => tap("map0", v)], [1, (v: any) => tap("map1", v)]]);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  let a: any = 0;
  return fnMap.get(a)((a = 1, await p.request(1)));
});
