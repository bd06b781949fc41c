/**
 * Upgrades of running applications (docs/live.md, "Upgrades"): new code, same graph; state,
 * positions and the other applications go on; a changed graph is refused with every difference;
 * operators with parked continuations are found.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { ApplicationError, PortalsApp, Sinks, Systems, type Application, type LiveSystem } from "portals-ts";
import { changedOperators, parkedIn } from "../../../runtime/system/upgrade.js";

const systems: LiveSystem[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of systems.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A counter portal; `times` scales the reply (version 1: 1, version 2: 10). */
function counter(times: number, extraWorkflow = false): Application {
  return PortalsApp("counter", (app) => {
    const count = app.portal<{ add: number }, number>("count");
    app.workflows<never, never>("w")
      .source(app.generators.empty<never>().stream)
      .replier(count, () => {}, (r, ctx) => {
        const n = ctx.perTask("n", 0);
        n.set(n.get() + r.add);
        ctx.reply(n.get() * times);
      })
      .sink();
    if (extraWorkflow) app.workflows<number, number>("extra").source(app.generators.fromArray([1]).stream).identity().sink();
  });
}

/** An asker of the counter, fed by an ingestion stream; version 2 emits the reply plus 1000. */
function asker(version: 1 | 2, sink = Sinks.memory<number>()): Application {
  return PortalsApp("asker", (app) => {
    const count = app.registry.portals.get<{ add: number }, number>("/counter/portals/count");
    const flow = app.workflows<number, number>("w").source(app.generators.http<number>("in").stream);
    if (version === 1) {
      flow.asker(count, async (x, ctx) => {
        const n = await count.request({ add: x });
        ctx.emit(n);
      }).sink(sink);
    } else {
      flow.asker(count, async (x, ctx) => {
        const n = await count.request({ add: x });
        ctx.emit(n + 1000);
      }).sink(sink);
    }
  });
}

function live(): LiveSystem {
  const dir = mkdtempSync(join(tmpdir(), "portals-upgrade-"));
  dirs.push(dir);
  const s = Systems.live({ dataDir: dir, checkpointIntervalMs: 50, log: () => {} });
  systems.push(s);
  return s;
}

test("an upgrade swaps the code and keeps the state; the other applications go on", async () => {
  const system = live();
  const sink = Sinks.memory<number>();
  system.launch([counter(1), asker(1, sink)]);
  expect(await system.ask("/counter/portals/count", { add: 2 })).toBe(2);
  await system.send("/asker/generators/in", [3]);
  await expect.poll(() => sink.committed).toEqual([5]);

  expect(await system.upgrade([counter(10)])).toEqual([]);
  expect(await system.ask("/counter/portals/count", { add: 1 })).toBe(60);
  const changed = await system.upgrade([asker(2, sink)]);
  expect(changed).toEqual(["/asker/workflows/w/asker#1"]);
  await system.send("/asker/generators/in", [1]);
  await expect.poll(() => sink.committed).toEqual([5, 1070]);
  expect(system.applications.map((a) => a.name)).toEqual(["counter", "asker"]);
});

test("an upgrade while a tail is fed succeeds: the new engine's first batch stores a checkpoint before the upgrade's own", async () => {
  // Found by a fresh user: the upgrade's checkpoint was saved among the new driver's writes and refused.
  const system = live();
  const ticker = PortalsApp("ticker", (app) => {
    app.workflows<number, number>("w").source(app.generators.rate(20_000, (i) => i).stream).identity().sink();
  });
  system.launch([counter(1), ticker]);
  let seen = 0;
  const stop = system.tail("/ticker/workflows/w/stream", (events) => (seen += events.length));
  for (let i = 2; i <= 6; i++) {
    await expect.poll(() => seen).toBeGreaterThan(0);
    expect(await system.upgrade([counter(i)])).toEqual([]);
  }
  expect(await system.ask("/counter/portals/count", { add: 1 })).toBe(6);
  stop();
});

test("a changed graph and an application that does not run are refused with every reason; nothing changes", async () => {
  const system = live();
  system.launch(counter(1));
  expect(await system.ask("/counter/portals/count", { add: 4 })).toBe(4);
  const refused = system.upgrade([counter(1, true), asker(1)]);
  await expect(refused).rejects.toThrow(ApplicationError);
  await expect(refused).rejects.toThrow(/\/counter: workflow \/counter\/workflows\/extra is new; an upgrade changes the code, not the graph/);
  await expect(refused).rejects.toThrow(/\/asker: no such application is running; launch it instead/);
  expect(await system.ask("/counter/portals/count", { add: 1 })).toBe(5);
});

test("a restored system after an upgrade runs the new code with the state", async () => {
  const dir = mkdtempSync(join(tmpdir(), "portals-upgrade-"));
  dirs.push(dir);
  const first = Systems.live({ dataDir: dir, log: () => {} });
  first.launch(counter(1));
  expect(await first.ask("/counter/portals/count", { add: 3 })).toBe(3);
  await first.upgrade([counter(10)]);
  expect(await first.ask("/counter/portals/count", { add: 1 })).toBe(40);
  await first.close();
  const second = Systems.live({ dataDir: dir, log: () => {} });
  systems.push(second);
  second.restoreLatest([counter(10)]);
  expect(await second.ask("/counter/portals/count", { add: 1 })).toBe(50);
});

test("parkedIn finds the changed operators that have continuations parked", () => {
  const system = Systems.test({ log: () => {} });
  const v1 = asker(1);
  system.launch(counter(1));
  system.launch(
    PortalsApp("asker", (app) => {
      const count = app.registry.portals.get<{ add: number }, number>("/counter/portals/count");
      app.workflows<number, number>("w").source(app.generators.fromArray([1, 2, 3]).stream).asker(count, async (x, ctx) => {
        ctx.emit(await count.request({ add: x }));
      }).sink();
    }),
  );
  const engine = (system as unknown as { engine: Parameters<typeof parkedIn>[0] }).engine;
  const plans = (system as unknown as { launched: { plans(): Parameters<typeof parkedIn>[1] } }).launched.plans();
  let seen: string[] = [];
  while (system.canStep() && seen.length === 0) {
    system.step();
    seen = parkedIn(engine, plans, ["/asker/workflows/w/asker#1"]);
  }
  expect(seen).toEqual(["/asker/workflows/w/asker#1 (3)"]);
  expect(changedOperators(plans[1]!, v1.plan)).toEqual(["/asker/workflows/w/asker#1"]);
});
