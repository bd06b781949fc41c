/**
 * Backpressure from the cluster onto a live engine's sources (docs/cluster.md, "Backpressure").
 * A stream published to other runtimes keeps every atom it has not published yet, and each of
 * them is written into the next checkpoint; a source that runs ahead of the publishing (a
 * generator over a range, a burst of ingestion, a stream read from another runtime) would grow
 * that backlog, its memory and the checkpoints holding it, as far as it ran ahead (the cluster
 * benchmark's producer generated 2,000 atoms before 200 were out, and took a 9.7 MB checkpoint
 * of them). So while an export is behind, the engine's sources wait; everything else (tasks,
 * sequencers, portals, checkpoints, the publishing) goes on. Sources have no input, so holding
 * them cannot close a cycle. Which source steps when is the scheduler's choice (docs/semantics.md,
 * rule 5): holding one changes no result. A deterministic run (`Systems.test`) has no exports and
 * never holds.
 */

/** See the module header: one engine's holds on its sources. */
export class SourceHold {
  private readonly holders = new Set<object>();

  /** @param resume called once the last hold is released: the sources may step again */
  constructor(private readonly resume: () => void) {}

  /** True while anything holds the sources (read by each source before it steps). */
  get held(): boolean {
    return this.holders.size > 0;
  }

  /** `holder` holds the sources until it releases them (holding twice is holding once). */
  hold(holder: object): void {
    this.holders.add(holder);
  }

  /** `holder` no longer holds them; the last release resumes them. */
  release(holder: object): void {
    if (this.holders.delete(holder) && this.holders.size === 0) this.resume();
  }
}
