// Compiler fuzzer finding (test/compiler/fuzz/README.md), reduced by hand: native-vs-restored.
// A caught instance of an Error subclass kept across an await comes back as Error after a snapshot/restore (instanceof false, own properties lost); the catch binding is not checked.
// Native, compiled and snapshot/restored runs must all give `expected` (the native trace).
import { Tasks } from "portals-ts";
import { portal, describe } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
class MyErr extends Error {
  code = 7;
}
function fail(): never {
  throw new MyErr("u:sub");
}
export default Tasks.asker([p], async (x: any, ctx: any) => {
  try {
    fail();
  } catch (e: any) {
    await p.request(1);
    return describe([e instanceof MyErr, e.code]);
  }
});
export const events = [0];
export const expected = [
  "request p 1",
  "return \"[true, 7]\""
];
