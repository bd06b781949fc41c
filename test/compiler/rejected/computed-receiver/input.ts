import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";

const echo = portal("echo", (x: number) => x);
class Tally {
  total = 0;
  add(n: number) {
    this.total += n;
    return this.total;
  }
}
const tally = () => new Tally();

// The object whose method is called is evaluated before the awaited argument, so it would be
// kept in the suspended frame; an object made by a call or `new` may not be data.
export const made = Tasks.asker<number, number>(echo, async (x, ctx) => {
  ctx.emit(tally().add(await echo.request(x)));
});

export const constructed = Tasks.asker<number, number>(echo, async (x, ctx) => {
  ctx.emit(new Tally().add(await echo.request(x)));
});
