// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-restored.
// An Error subclass nested in data ({ errs: [new MyErr()] }) kept across an await is accepted, and comes back as Error after a snapshot/restore (instanceof false, own properties lost).
// Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal, describe } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
class MyErr extends Error {
  code = 7;
}
export default Tasks.asker([p], async (x: any, ctx: any) => {
  const d: any = { errs: [new MyErr("u:in")] };
  await p.request(1);
  return describe([d.errs[0] instanceof MyErr, d.errs[0].code]);
});
