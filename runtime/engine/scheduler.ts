/**
 * The scheduler: which component takes the next step. Only components that can step are kept
 * (a stream append wakes its consumers), so a step costs O(ready components), not O(all).
 * Among the ready ones the lowest rank goes first; ties are broken with the system's seeded
 * random generator (reference `Interpreter.step`: portals, workflows, sequencers, splitters,
 * generators, random within a category).
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import type { Consumer } from "./stream.js";

/** Ranks, lowest first. Portal traffic is served before anything else (docs/semantics.md, rule 8). */
export const Rank = { portal: 0, workflow: 1, sequencer: 2, splitter: 3, generator: 4 } as const;

/** Something the scheduler can step: a workflow, sequencer, splitter or generator. */
export interface Component extends Consumer {
  readonly path: string;
  /** Current rank (see {@link Rank}); may change with what is waiting. */
  rank(): number;
  /** True when a step would do work. */
  ready(): boolean;
  /** Does one unit of work (one atom). */
  step(): void;
  /**
   * What the next step waits for (an async source's next atom), or `undefined` when it can run
   * now. Absent: never waits.
   */
  blockedOn?(): Promise<void> | undefined;
  /**
   * Stops the component for good, its application being stopped: with `seal`, its output stream
   * ends now (its consumers are told); from then on it reads its inputs and drops them. Absent:
   * it goes on (a splitter routes what comes; its own source ends).
   */
  stop?(seal: boolean): void;
}

/**
 * Picks a component may wait in a live system before it goes first whatever its rank
 * (docs/live.md, "The loop"): portal traffic goes first, and a long chain of it would otherwise
 * hold up an outside ask or an event for as long as the chain runs.
 */
export const LIVE_WAIT_LIMIT = 1024;

/** The set of components that may be ready, and the choice among them. */
export class ReadySet {
  private readonly items: Component[] = [];
  private readonly index = new Map<Component, number>();
  /** Live only: the pick count when each item was added. */
  private readonly since: Map<Component, number> | undefined;
  private picks = 0;

  /** @param aging a live system's: a component waiting {@link LIVE_WAIT_LIMIT} picks goes next */
  constructor(
    private readonly rng: RandomGenerator,
    aging = false,
  ) {
    this.since = aging ? new Map() : undefined;
  }

  /** Number of components in the set. */
  get size(): number {
    return this.items.length;
  }

  /** Adds `c` if it is not in the set. */
  add(c: Component): void {
    if (this.index.has(c)) return;
    this.index.set(c, this.items.length);
    this.items.push(c);
    this.since?.set(c, this.picks);
  }

  /** Removes `c` if it is in the set. */
  remove(c: Component): void {
    const i = this.index.get(c);
    if (i === undefined) return;
    const last = this.items.pop()!;
    this.index.delete(c);
    this.since?.delete(c);
    if (last !== c) {
      this.items[i] = last;
      this.index.set(last, i);
    }
  }

  /** Paths of the components in the set, in its order (the order picks depend on). */
  save(): string[] {
    return this.items.map((c) => c.path);
  }

  /** Picks the next component to step, or `undefined` when none is ready. */
  pick(): Component | undefined {
    const items = this.items;
    if (this.since !== undefined) {
      const picks = ++this.picks;
      for (const c of items) {
        if (picks - this.since.get(c)! > LIVE_WAIT_LIMIT) {
          this.since.set(c, picks);
          return c;
        }
      }
    }
    let best = Infinity;
    let count = 0;
    for (let i = 0; i < items.length; i++) {
      const r = items[i]!.rank();
      if (r < best) {
        best = r;
        count = 1;
      } else if (r === best) {
        count++;
      }
    }
    if (count === 0) return undefined;
    let nth = count === 1 ? 0 : uniformInt(this.rng, 0, count - 1);
    for (let i = 0; i < items.length; i++) {
      if (items[i]!.rank() === best && nth-- === 0) return items[i];
    }
    return undefined;
  }
}
