/**
 * A live engine restored from a snapshot taken while a generator could not step (held by an
 * export that was behind, docs/cluster.md "Backpressure"; or waiting for its rate's next event)
 * puts it among the ready components again: the snapshot's ready set does not have it, and the
 * hold (and the rate's timer) of the process that took it are gone.
 */
import { expect, test } from "vitest";
import { PortalsApp } from "portals-ts";
import { Engine } from "../../../runtime/engine/engine.js";
import { deploy } from "../../../runtime/engine/deployer.js";

const app = PortalsApp("g", (app) => void app.workflows<number, number>("w").source(app.generators.fromRange(0, 40, 10).stream).identity().sink());

function liveEngine(): Engine {
  return new Engine(1, () => {}, () => {
    throw new Error("no files here");
  }, { now: () => performance.now(), woken: () => {} });
}

test("a generator held when the snapshot was taken steps again after the restore, from where it was", () => {
  const first = liveEngine();
  deploy(first, app.plan, "fresh");
  const tail: number[] = [];
  first.registry.get("/g/workflows/w/stream", "stream").stream.watch((a) => tail.push(...(a.values as number[])));
  // Only the generator is ready: its first atom. Then an export is behind: the sources wait (a
  // source in the ready set steps once more, and leaves it), and everything else runs out.
  first.step();
  first.sourceHold!.hold({});
  while (first.canStep()) first.step();
  expect(tail).toEqual(Array.from({ length: 20 }, (_, i) => i));
  // A full save: its workflows hold whole states, as a restored chain does.
  const saved = first.save(false) as Parameters<Engine["load"]>[0] & { readonly rng: readonly number[] };
  expect(saved.ready).toEqual([]);

  const second = liveEngine();
  second.loadRandom(saved.rng);
  deploy(second, app.plan, "recovering");
  second.load(saved);
  const after: number[] = [];
  second.registry.get("/g/workflows/w/stream", "stream").stream.watch((a) => after.push(...(a.values as number[])));
  expect(second.canStep()).toBe(true);
  while (second.canStep()) second.step();
  expect(after).toEqual(Array.from({ length: 20 }, (_, i) => 20 + i));
});

test("a deterministic engine's ready set is the snapshot's alone (a test system replays its choices)", () => {
  const first = new Engine(1, () => {}, () => {
    throw new Error("no files here");
  });
  deploy(first, app.plan, "fresh");
  const saved = first.save(false) as Parameters<Engine["load"]>[0] & { readonly rng: readonly number[] };
  const second = new Engine(1, () => {}, () => {
    throw new Error("no files here");
  });
  second.loadRandom(saved.rng);
  deploy(second, app.plan, "recovering");
  second.load({ ...saved, ready: [] });
  expect(second.canStep()).toBe(false);
});
