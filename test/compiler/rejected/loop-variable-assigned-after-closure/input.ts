import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";

const echo = portal("echo", (x: number) => x);

// A function made in a loop has its iteration's binding natively; the suspended operator has
// one slot for all iterations and gives the function the value it had when it was made, so an
// assignment after that (or in a function) would be seen natively but not compiled.
export const assignedAfter = Tasks.asker<number, number>(echo, async (x, ctx) => {
  for (let i = x; i < 3; i++) {
    await echo.request(i);
    const f = () => i;
    i += 10;
    ctx.emit(f());
  }
});

export const assignedInside = Tasks.asker<number, number>(echo, async (x, ctx) => {
  for (let i = 0; i < 3; i++) {
    const bump = () => i++;
    bump();
    ctx.emit(await echo.request(i));
  }
});
