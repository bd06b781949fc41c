// Runs a compiled operator that throws after an await; its stack must point at this file.
import { Tasks } from "portals-ts"; import type { Machine } from "portals-ts/machine";

const portal = { kind: "portal", path: "/t/portals/p", request: (x: number) => ({ portal: "/t/portals/p", requestId: x }) } as never as import("portals-ts").PortalRef<number, number>;

const task = Tasks.asker(portal, async (x: number) => {
  const reply = await portal.request(x);
  throw new Error(`boom ${reply}`); // line 8
});

const machine = (task.spec as { fn: Machine }).fn;
const frame = machine.begin([1]);
machine.resume(frame, {}, { kind: "start" });
try {
  machine.resume(frame, {}, { kind: "value", value: 2 });
} catch (error) {
  console.log((error as Error).stack);
}
