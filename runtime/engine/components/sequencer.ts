/**
 * Sequencers at run time (docs/semantics.md, rule 5; reference `InterpreterSequencer`): one step forwards one
 * whole atom from one input, so atoms are never split or fused and each input keeps its order.
 * Portal inputs go first, in connection order; among the other inputs the system's seeded
 * random generator picks. Empty atoms and seals are dropped, which ends feedback loops, except
 * from a workflow's primary input (see `PlanSequencer.primary`), whose atoms pass as they are.
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import { atom, isEmpty, sealAtom } from "../atom.js";
import { Rank, type Component } from "../scheduler.js";
import type { AtomicStream, Cursor } from "../stream.js";
import type { FlowControl } from "./flow-control.js";

interface Input {
  readonly cursor: Cursor;
  readonly portal: boolean;
  readonly primary: boolean;
}

/** A sequencer component. */
export class SequencerComponent implements Component {
  private readonly inputs: Input[] = [];
  private readonly candidates: Input[] = [];
  private stopped = false;
  /** Holds the primary input while the workflow behind it has too many parked continuations (`flow-control.ts`). */
  private flow: FlowControl | undefined;

  constructor(
    readonly path: string,
    private readonly out: AtomicStream,
    private readonly primary: string | undefined,
    private readonly rng: RandomGenerator,
    private readonly schedule: (c: Component) => void,
  ) {}

  /** Connects `stream` as an input; `portal` inputs carry requests or replies. */
  connect(stream: AtomicStream, portal: boolean): void {
    this.inputs.push({ cursor: stream.subscribe(this), portal, primary: stream.path === this.primary });
  }

  /** Holds the primary input while `flow` says so (a live engine's workflow that asks portals). */
  holdPrimary(flow: FlowControl): void {
    this.flow = flow;
  }

  wake(): void {
    this.schedule(this);
  }

  /** Whether `input` may pass an atom now (it has one, and is not held). */
  private open(input: Input): boolean {
    return input.cursor.hasNext() && !(input.primary && this.flow?.held === true && !this.stopped);
  }

  rank(): number {
    for (const i of this.inputs) if (i.portal && i.cursor.hasNext()) return Rank.portal;
    return Rank.sequencer;
  }

  ready(): boolean {
    for (const i of this.inputs) if (this.open(i)) return true;
    return false;
  }

  stop(seal: boolean): void {
    if (!this.stopped && seal) this.out.append(sealAtom());
    this.stopped = true;
  }

  step(): void {
    if (this.stopped) {
      // Its inputs' atoms go nowhere, so the streams that feed it do not keep them.
      this.inputs.find((i) => i.cursor.hasNext())!.cursor.next();
      return;
    }
    const input = this.choose();
    // Held since it was scheduled (its workflow parked more meanwhile): the engine drops it until it is woken.
    if (input === undefined) return;
    const a = input.cursor.next();
    if (input.primary) {
      this.out.append(a);
    } else if (a.seal) {
      if (!isEmpty(a)) this.out.append(atom(a.keys, a.values, a.error, false, a.portal));
    } else if (!isEmpty(a)) {
      this.out.append(a);
    }
  }

  private choose(): Input | undefined {
    const candidates = this.candidates;
    candidates.length = 0;
    for (const i of this.inputs) {
      if (!this.open(i)) continue;
      if (i.portal) return i;
      candidates.push(i);
    }
    if (candidates.length <= 1) return candidates[0];
    return candidates[uniformInt(this.rng, 0, candidates.length - 1)]!;
  }
}
