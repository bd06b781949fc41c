/**
 * Flow control of a workflow that asks portals (runtime/engine/components/flow-control.ts,
 * docs/live.md, "Flow control"): at the limit of parked continuations the sequencer in front of
 * it holds its primary input and passes only portal traffic, until half of them ended.
 */
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { expect, test } from "vitest";
import { atom, type Atom } from "../../../../runtime/engine/atom.js";
import { FlowControl } from "../../../../runtime/engine/components/flow-control.js";
import { SequencerComponent } from "../../../../runtime/engine/components/sequencer.js";
import { AtomicStream } from "../../../../runtime/engine/stream.js";

const events = (...values: unknown[]): Atom => atom(values.map(() => 0), values, undefined, false, false);
const portalAtom = (...values: unknown[]): Atom => atom(values.map(() => 0), values, undefined, false, true);

function held(limit: number) {
  const out = new AtomicStream("/w/portal-in/stream");
  const reader = out.subscribe({ wake: () => {} });
  let woken = 0;
  const seq = new SequencerComponent("/w/portal-in", out, "/w/source", xoroshiro128plus(1), () => void woken++);
  const source = new AtomicStream("/w/source");
  const replies = new AtomicStream("/w/replies");
  seq.connect(source, false);
  seq.connect(replies, true);
  const workflow = { parked: 0 };
  const flow = new FlowControl(() => workflow.parked, () => seq.wake(), limit);
  seq.holdPrimary(flow);
  const passed = (): unknown[] => {
    const values: unknown[] = [];
    while (reader.hasNext()) values.push(...reader.next().values);
    return values;
  };
  return { seq, source, replies, workflow, flow, passed, woken: () => woken };
}

test("at the limit the input is held and replies still pass; at half the limit it passes again and the sequencer is woken", () => {
  const { seq, source, replies, workflow, flow, passed, woken } = held(4);
  source.append(events(1));
  source.append(events(2));
  seq.step();
  workflow.parked = 4;
  expect({ ready: seq.ready(), passed: passed() }).toEqual({ ready: false, passed: [1] });
  replies.append(portalAtom("r1"));
  expect(seq.ready()).toBe(true);
  seq.step();
  workflow.parked = 3;
  flow.stepped();
  // Still above half the limit: held, and nobody woken.
  const before = woken();
  expect({ ready: seq.ready(), passed: passed(), woken: woken() - before }).toEqual({ ready: false, passed: ["r1"], woken: 0 });
  workflow.parked = 2;
  flow.stepped();
  expect({ woken: woken() - before, ready: seq.ready() }).toEqual({ woken: 1, ready: true });
  seq.step();
  expect(passed()).toEqual([2]);
});

test("a sequencer picked after its input was held (its workflow parked more since it was scheduled) steps without passing anything", () => {
  const { seq, source, workflow, flow, passed } = held(4);
  source.append(events(1));
  expect(seq.ready()).toBe(true);
  workflow.parked = 4;
  seq.step();
  expect({ passed: passed(), ready: seq.ready() }).toEqual({ passed: [], ready: false });
  // The atom waited in its input, and passes once the input is let go.
  workflow.parked = 0;
  flow.stepped();
  seq.step();
  expect(passed()).toEqual([1]);
});
