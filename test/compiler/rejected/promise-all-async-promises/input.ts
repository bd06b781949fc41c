// Compiler fuzzer finding (campaign seed 30001727, reduced by hand): native-vs-compiled.
// await Promise.all over the promises of async functions that do not ask (a module helper
// without await called in a map callback, an async arrow): natively they settle in a microtask;
// compiled, Promise.all waits for portal requests only, so it failed with a TypeError at run
// time. Refused at compile time, with the rewrite to use (errors.txt).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
async function h0(n: any) {
  return Number(n) * 10;
}
export default Tasks.asker([p], async (x: any, ctx: any) => {
  const tens = await Promise.all([1, 2].map((v: any) => h0(v)));
  const direct = await Promise.all([h0(x), p.request(x)]);
  const asyncs = await Promise.all([1, 2].map(async (v: any) => v));
  return [tens, direct, asyncs];
});
