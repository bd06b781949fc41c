/**
 * Flow control of a workflow that asks portals, in a live engine (docs/live.md, "Flow control"):
 * once {@link FLOW_LIMIT} of its continuations are parked, the sequencer in front of it holds
 * its input's atoms and passes only portal traffic (the replies that resume them), until half of
 * them have ended. An asker fed faster than its replies come back (a generator, a burst of
 * ingestion, a replier on another runtime that is away) would otherwise park one continuation
 * per event it reads: memory, and checkpoints, in proportion to how far it ran ahead (200,000
 * parked continuations in the cluster benchmark's remote portal, and a full snapshot of them
 * while the replies drained them). Held atoms wait in the input stream, where an event costs far
 * less than a continuation; other workflows go on. Which atom a sequencer passes next is the
 * scheduler's choice (docs/semantics.md, rule 5), so holding one changes no result. A
 * deterministic run (`Systems.test`) never holds: its interleavings stay those of its seed.
 */

/** Parked continuations of one workflow at which its input is held. */
export const FLOW_LIMIT = 20_000;

/** See the module header: one workflow's flow control. */
export class FlowControl {
  private holding = false;

  constructor(
    /** The workflow's parked continuations now. */
    private readonly parked: () => number,
    /** Wakes the sequencer in front of the workflow (its input may pass again). */
    private readonly wakeInput: () => void,
    private readonly limit = FLOW_LIMIT,
  ) {}

  /** True while the workflow's input is held (asked by its sequencer before it passes an input atom). */
  get held(): boolean {
    if (!this.holding && this.parked() >= this.limit) this.holding = true;
    return this.holding;
  }

  /** After a step of the workflow: once half the limit or fewer are parked, the input passes again. */
  stepped(): void {
    if (this.holding && this.parked() <= this.limit / 2) {
      this.holding = false;
      this.wakeInput();
    }
  }
}
