import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";

const echo = portal("echo", (x: number) => x);
const adders = new Map([["one", (n: number) => n + 1]]);
const adder = (k: number) => (n: number) => n + k;
let current = (n: number) => n;

// JavaScript evaluates the function of a call before its arguments, so before their await; a
// function cannot be kept in a suspended frame, so these are refused with the rewrite to use.
export const curried = Tasks.asker<number, number>(echo, async (x, ctx) => {
  ctx.emit(adder(x)(await echo.request(1)));
});

export const looked = Tasks.asker<number, number>(echo, async (x, ctx) => {
  ctx.emit(adders.get("one")!(await echo.request(x)));
});

export const reassignable = Tasks.asker<number, number>(echo, async (x, ctx) => {
  ctx.emit(current(await echo.request(x)));
});

export const held = Tasks.asker<number, number>(echo, async (x, ctx) => {
  const add = adder(2);
  ctx.emit(add(await echo.request(x)));
});

export const constructed = Tasks.asker<number, unknown>(echo, async (x, ctx) => {
  ctx.emit(new (x > 0 ? Set : WeakSet)([await echo.request(x)] as never));
});
