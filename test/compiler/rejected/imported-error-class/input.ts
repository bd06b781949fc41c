// An error class of another module kept across an await would come back as its built-in base
// class (the restoring system does not know it): refused unless registered with app.dataClass.
// An error class declared in the operator's own module is data (fixtures/nested-error-subclass).
import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";
import { ImportedError } from "./errors.js";
const p = portal("p", (n: any): any => Number(n) + 1);
export default Tasks.asker([p], async (x: any, ctx: any) => {
  const failure = new ImportedError("elsewhere");
  await p.request(1);
  return failure instanceof ImportedError;
});
