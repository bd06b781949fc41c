import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";

const echo = portal("echo", (x: number) => x);
class Box {
  constructor(readonly v: number) {}
}

// Data that holds something that is not data is not data: kept across an await, it is refused
// at compile time, not first seen failing in a snapshot.
export const functions = Tasks.asker<number, number>(echo, async (x, ctx) => {
  const handlers = [() => x];
  await echo.request(x);
  ctx.emit(handlers[0]!());
});

export const instances = Tasks.asker<number, number>(echo, async (x, ctx) => {
  const boxes = { list: [new Box(x)], byId: new Map([[1, new Box(2)]]) };
  await echo.request(x);
  ctx.emit(boxes.list[0]!.v);
});

export const pushed = Tasks.asker<number, number>(echo, async (x, ctx) => {
  const later = [] as unknown[];
  later.push(() => x);
  await echo.request(x);
  ctx.emit(later.length);
});

export const annotated = Tasks.asker<number, number>(echo, async (x, ctx) => {
  let pending: Array<{ run(): void }> = [];
  pending = [];
  await echo.request(x);
  ctx.emit(pending.length);
});

export const methods = Tasks.asker<number, number>(echo, async (x, ctx) => {
  const counter = { n: x, next() { return this.n + 1; } };
  await echo.request(x);
  ctx.emit(counter.next());
});
