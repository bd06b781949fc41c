/**
 * The continuation table of one task: every invocation that issued requests and has not ended,
 * found by the id of any request it issued, and the count of those that are parked (suspended
 * on replies). A parked invocation awaits only its own requests (see `Invocation.run`), so a
 * reply finds its continuation here with one lookup; one map, not a second by invocation id,
 * because each map operation is a measurable share of a portal round trip.
 */
import { Invocation, type InvocationData } from "./invocation.js";
import type { Machine } from "../../core/machine.js";

/** See the module header; `C` is what a task keeps with each invocation (plain data). */
export class ContinuationTable<C> {
  private readonly byRequest = new Map<number, Invocation<C>>();
  private parkedInvocations = 0;

  /** Number of parked invocations. */
  get parkedCount(): number {
    return this.parkedInvocations;
  }

  /** Records that `inv` issued request `id`: the reply to it resumes `inv`. */
  issued(id: number, inv: Invocation<C>): void {
    this.byRequest.set(id, inv);
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
   * Replaces the table with saved invocations, re-binding their frames with `resolve`.
   *
   * @throws Error naming the machine when a frame's code is missing or changed
   */
  load(saved: readonly InvocationData<C>[], resolve: (id: string) => Machine | undefined): void {
    this.byRequest.clear();
    for (const data of saved) {
      const inv = Invocation.restore(data, resolve);
      for (const id of inv.issued) this.byRequest.set(id, inv);
    }
    this.parkedInvocations = saved.length;
  }
}
