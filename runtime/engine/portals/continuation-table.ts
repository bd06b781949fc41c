/**
 * The continuation table of one task: every invocation that issued requests and has not ended,
 * found by the id of any request it issued, and the count of those that are parked (suspended
 * on replies). A parked invocation awaits only its own requests (see `Invocation.run`), so a
 * reply finds its continuation here with one lookup; one map, not a second by invocation id,
 * because each map operation is a measurable share of a portal round trip.
 *
 * A delta snapshot holds the parked invocations that changed since the previous snapshot (issued
 * a request or received a reply) and the ids of those that ended (docs/snapshots.md, "Deltas"):
 * a task with many parked continuations does not write all of them at every checkpoint. The
 * task adds the invocations that must be saved with the state of their key (`saveChanged`).
 */
import { Invocation, type InvocationData } from "./invocation.js";
import type { Key } from "../../core/key.js";
import type { Machine } from "../../core/machine.js";

/**
 * A continuation table's changes as plain data: the parked invocations in `parked` replace those
 * of the same ids in the snapshot before, and those in `ended` are removed from it.
 */
export interface ParkedChanges<C> {
  readonly parked: InvocationData<C>[];
  readonly ended: number[];
}

/** See the module header; `C` is what a task keeps with each invocation (plain data). */
export class ContinuationTable<C> {
  private readonly byRequest = new Map<number, Invocation<C>>();
  private parkedInvocations = 0;
  /** Invocations that changed since {@link track}; `null` before it (a delta is then whole). */
  private changed: Set<Invocation<C>> | null = null;
  /** Ids of the invocations of the last save that ended since. */
  private endedIds: number[] = [];
  /** Invocations with a smaller id were in the last save (or had ended before it). */
  private savedBelow = 0;

  /** Number of parked invocations. */
  get parkedCount(): number {
    return this.parkedInvocations;
  }

  /** Records that `inv` issued request `id`: the reply to it resumes `inv`. */
  issued(id: number, inv: Invocation<C>): void {
    this.byRequest.set(id, inv);
    this.changed?.add(inv);
  }

  /** Notes that `inv` received a reply (its data changed, whether it resumes or waits on). */
  received(inv: Invocation<C>): void {
    this.changed?.add(inv);
  }

  /** The invocation that issued request `id`, or `undefined` when it ended (nobody awaits the reply). */
  find(id: number): Invocation<C> | undefined {
    return this.byRequest.get(id);
  }

  /** Counts an invocation that parked for the first time. */
  parked(): void {
    this.parkedInvocations++;
  }

  /** Forgets `inv`, which ended; `wasParked` when it had parked before. */
  ended(inv: Invocation<C>, wasParked: boolean): void {
    if (wasParked) this.parkedInvocations--;
    for (const id of inv.issued) this.byRequest.delete(id);
    if (this.changed === null) return;
    this.changed.delete(inv);
    if (inv.id < this.savedBelow) this.endedIds.push(inv.id);
  }

  /** The parked invocations, by invocation id (between steps, every invocation in the table is parked). */
  invocations(): Invocation<C>[] {
    return [...new Set(this.byRequest.values())].sort((a, b) => a.id - b.id);
  }

  /** The parked invocations as plain data. */
  save(): InvocationData<C>[] {
    return this.invocations().map((inv) => inv.toData());
  }

  /**
   * Starts noting changes (after a full save, or a restore): the next {@link saveChanged} holds
   * those from now. `nextId`: the id the next invocation will get.
   */
  track(nextId: number): void {
    this.changed = new Set();
    this.endedIds = [];
    this.savedBelow = nextId;
  }

  /** True when changes are noted (a delta of the table can be saved). */
  get tracking(): boolean {
    return this.changed !== null;
  }

  /** The keys of the invocations that changed since the last save. */
  changedKeys(): Set<Key> {
    const keys = new Set<Key>();
    for (const inv of this.changed ?? []) keys.add(inv.key);
    return keys;
  }

  /**
   * The changes since the last save, with every parked invocation of the keys in `alsoKeys`
   * (saved with their keys' state), as plain data; then notes afresh, from `nextId`.
   *
   * @throws Error when changes were not noted ({@link tracking})
   */
  saveChanged(alsoKeys: ReadonlySet<Key>, nextId: number): ParkedChanges<C> {
    const changed = this.changed;
    if (changed === null) throw new Error("internal: continuation changes asked before tracking started");
    if (alsoKeys.size > 0) for (const inv of this.byRequest.values()) if (alsoKeys.has(inv.key)) changed.add(inv);
    const changes = { parked: [...changed].sort((a, b) => a.id - b.id).map((inv) => inv.toData()), ended: this.endedIds };
    this.track(nextId);
    return changes;
  }

  /**
   * Replaces the table with saved invocations, re-binding their frames with `resolve`.
   *
   * @throws Error naming the machine when a frame's code is missing or changed
   */
  load(saved: readonly InvocationData<C>[], resolve: (id: string) => Machine | undefined): void {
    this.byRequest.clear();
    this.changed = null;
    for (const data of saved) {
      const inv = Invocation.restore(data, resolve);
      for (const id of inv.issued) this.byRequest.set(id, inv);
    }
    this.parkedInvocations = saved.length;
  }
}
