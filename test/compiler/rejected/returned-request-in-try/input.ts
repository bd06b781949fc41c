import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";

const echo = portal("echo", (x: number) => x);

// Returned without await inside try, a request settles after the finally runs and its failure
// skips the catch, natively; the compiled operator would suspend inside the try.
export const inTry = Tasks.asker<number, number>(echo, async (x, ctx) => {
  try {
    return echo.request(x);
  } finally {
    ctx.emit(0);
  }
});
