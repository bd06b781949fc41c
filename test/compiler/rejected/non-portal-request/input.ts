// An HTTP-like client made in this module (an object literal with a request method) is not a
// portal ref: awaiting its request() in an operator is refused as an await of something that is
// not a portal request (one error, not also "add client to the task's portals"). Calling it
// without await is ordinary code and stays as written. (Found by a fresh-user trial.)
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
const p = portal("p", (n: any): any => Number(n) + 1);
const client = {
  async request(path: string): Promise<string> {
    return `GET ${path}`;
  },
};
export default Tasks.asker([p], async (x: any, ctx: any) => {
  void client.request("/log");
  const page = await client.request("/");
  return [page, await p.request(x)];
});
