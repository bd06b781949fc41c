/**
 * Sequencers (runtime/engine/components/sequencer.ts): one step forwards one whole atom of one
 * input (docs/semantics.md, rule 5): portal inputs first in connection order, the others chosen
 * by the seeded random generator; empty atoms and seals of ordinary inputs are dropped (a
 * non-empty seal passes as an ordinary atom), while a workflow's primary input passes as it is.
 */
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, test } from "vitest";
import { atom, sealAtom, type Atom } from "../../../../runtime/engine/atom.js";
import { SequencerComponent } from "../../../../runtime/engine/components/sequencer.js";
import { Rank } from "../../../../runtime/engine/scheduler.js";
import { AtomicStream, type Cursor } from "../../../../runtime/engine/stream.js";

const events = (...values: unknown[]): Atom => atom(values.map(() => 0), values, undefined, false, false);
const portalAtom = (...values: unknown[]): Atom => atom(values.map(() => 0), values, undefined, false, true);

function setup(seed = 0, primary?: string) {
  const out = new AtomicStream("/t/sequencers/s/stream");
  const reader = out.subscribe({ wake: () => {} });
  const scheduled: string[] = [];
  const seq = new SequencerComponent("/t/sequencers/s", out, primary, xoroshiro128plus(seed), (c) => void scheduled.push(c.path));
  return { seq, reader, scheduled };
}

function drain(cursor: Cursor): Atom[] {
  const out: Atom[] = [];
  while (cursor.hasNext()) out.push(cursor.next());
  return out;
}

function stepAll(seq: SequencerComponent): void {
  while (seq.ready()) seq.step();
}

describe("SequencerComponent", () => {
  test("atoms pass whole and in order from one input; appends wake the sequencer", () => {
    const { seq, reader, scheduled } = setup();
    const input = new AtomicStream("/t/in");
    seq.connect(input, false);
    input.append(events(1, 2));
    input.append(events(3));
    expect(scheduled).toEqual(["/t/sequencers/s", "/t/sequencers/s"]);
    stepAll(seq);
    expect(drain(reader).map((a) => a.values)).toEqual([[1, 2], [3]]);
  });

  test("portal inputs go first, in connection order, and make the sequencer rank as portal traffic", () => {
    const { seq, reader } = setup();
    const plain = new AtomicStream("/t/plain");
    const replies = new AtomicStream("/t/replies");
    const requests = new AtomicStream("/t/requests");
    seq.connect(plain, false);
    seq.connect(replies, true);
    seq.connect(requests, true);
    plain.append(events("e"));
    requests.append(portalAtom("req"));
    replies.append(portalAtom("rep"));
    expect(seq.rank()).toBe(Rank.portal);
    seq.step();
    seq.step();
    expect(seq.rank()).toBe(Rank.sequencer);
    seq.step();
    expect(drain(reader).map((a) => a.values)).toEqual([["rep"], ["req"], ["e"]]);
  });

  test("empty atoms and seals of ordinary inputs are dropped; a seal with events passes without sealing", () => {
    const { seq, reader } = setup();
    const input = new AtomicStream("/t/in");
    seq.connect(input, false);
    input.append(events());
    input.append(sealAtom());
    input.append(atom([0], ["last"], undefined, true, false));
    stepAll(seq);
    const out = drain(reader);
    expect(out.map((a) => [a.values, a.seal])).toEqual([[["last"], false]]);
  });

  test("a workflow's primary input passes as it is: empty atoms and the seal included", () => {
    const { seq, reader } = setup(0, "/t/source");
    const source = new AtomicStream("/t/source");
    seq.connect(source, false);
    source.append(events());
    source.append(sealAtom());
    stepAll(seq);
    expect(drain(reader).map((a) => [a.values, a.seal])).toEqual([
      [[], false],
      [[], true],
    ]);
  });

  test("among ordinary inputs the seeded random generator chooses: the same seed, the same interleaving", () => {
    const run = (seed: number): unknown[] => {
      const { seq, reader } = setup(seed);
      const a = new AtomicStream("/t/a");
      const b = new AtomicStream("/t/b");
      seq.connect(a, false);
      seq.connect(b, false);
      for (let i = 0; i < 20; i++) {
        a.append(events(`a${i}`));
        b.append(events(`b${i}`));
      }
      stepAll(seq);
      return drain(reader).map((x) => x.values[0]);
    };
    const first = run(3);
    expect(run(3)).toEqual(first);
    expect(run(4)).not.toEqual(first);
    // Each input keeps its own order.
    expect(first.filter((v) => String(v).startsWith("a"))).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
  });
});
