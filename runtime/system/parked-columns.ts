/**
 * A continuation table in a snapshot, by column (docs/snapshots.md, "Payload"): the parked
 * invocations' ids, keys, awaited and issued request ids, replies in and frames, each a flat
 * array, instead of one record per invocation with five arrays and a record per frame. The
 * codec writes and tracks every object it meets (shared references survive a snapshot), so a
 * table of many small records cost about 3 µs and 88 bytes per parked invocation of an asker
 * awaiting one request; by column, 1.7 µs and 30 bytes (the remote portal of
 * `npm run bench -- --only cluster` checkpoints up to 200,000 of them).
 *
 * What an operator gave the runtime is written as it is, so what it shares with other state
 * stays shared: each invocation's `call` (what it needs when it ends: its event, the request it
 * serves), each frame's locals and each reply's settlement. Only the runtime's own wrappers are
 * cut into columns and rebuilt.
 */
import type { Key } from "../core/key.js";
import type { Frame } from "../core/machine.js";
import type { InvocationData, Settlement } from "../engine/portals/invocation.js";
import { vouchDense } from "../state/codec.js";

/**
 * Parked invocations by column. Per invocation `i`: `ids[i]`, `keys[i]`, `calls[i]`,
 * `awaitAll[i]`; the variable parts run on in `shapes`, in invocation order: the count of awaited
 * request ids (-1: `null`) and the ids, the count of issued ids and the ids, the count of replies
 * in, each reply's request id, and the count of frames, each frame's machine (index of its
 * id and code version in `machines`, which lists each machine once as id, version) and `pc`. Replies' settlements are in `settlements` and
 * frames' locals in `locals`, in the same order.
 */
export interface ParkedColumns<C> {
  readonly ids: number[];
  readonly keys: Key[];
  readonly calls: C[];
  readonly awaitAll: boolean[];
  readonly shapes: number[];
  readonly machines: string[];
  readonly settlements: Settlement[];
  readonly locals: Record<string, unknown>[];
}

/** Appends the count of `ids`, then the ids (no spread: an invocation may await 100,000 requests). */
function push(shapes: number[], ids: readonly number[]): void {
  shapes.push(ids.length);
  for (const id of ids) shapes.push(id);
}

/** `rows` by column (see {@link ParkedColumns}). */
export function toColumns<C>(rows: readonly InvocationData<C>[]): ParkedColumns<C> {
  const n = rows.length;
  const ids = new Array<number>(n);
  const keys = new Array<Key>(n);
  const calls = new Array<C>(n);
  const awaitAll = new Array<boolean>(n);
  const shapes: number[] = [];
  const machines: string[] = [];
  const machineIndex = new Map<string, number>();
  const settlements: Settlement[] = [];
  const locals: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    ids[i] = row.id;
    keys[i] = row.key;
    calls[i] = row.call;
    awaitAll[i] = row.awaitAll;
    if (row.awaiting === null) shapes.push(-1);
    else push(shapes, row.awaiting);
    push(shapes, row.issued);
    shapes.push(row.inbox.length);
    for (const [request, settlement] of row.inbox) {
      shapes.push(request);
      settlements.push(settlement);
    }
    shapes.push(row.frames.length);
    for (const frame of row.frames) {
      const machine = `${frame.version}\u0000${frame.machine}`;
      let index = machineIndex.get(machine);
      if (index === undefined) {
        index = machines.push(frame.machine, frame.version) / 2 - 1;
        machineIndex.set(machine, index);
      }
      shapes.push(index, frame.pc);
      locals.push(frame.locals);
    }
  }
  // Filled densely here and never changed: the codec checks their elements without listing their
  // indices (a list of strings as long as the table, per checkpoint).
  for (const column of [ids, keys, calls, awaitAll, shapes, machines, settlements, locals]) vouchDense(column);
  return { ids, keys, calls, awaitAll, shapes, machines, settlements, locals };
}

/**
 * The parked invocations of `columns`, as {@link toColumns} was given them.
 *
 * @throws Error when the columns do not fit together (bytes that were not written by `toColumns`)
 */
export function fromColumns<C>(columns: ParkedColumns<C>): InvocationData<C>[] {
  const { ids, keys, calls, awaitAll, shapes, machines, settlements, locals } = columns;
  const frameOf = Array.from({ length: machines.length / 2 }, (_, k) => ({ machine: machines[2 * k]!, version: machines[2 * k + 1]! }));
  let s = 0;
  let reply = 0;
  let local = 0;
  const next = (): number => {
    if (s >= shapes.length) throw new Error("a continuation table's columns end early");
    return shapes[s++]!;
  };
  const list = (count: number): number[] => {
    const out = new Array<number>(count);
    for (let j = 0; j < count; j++) out[j] = next();
    return out;
  };
  const rows = new Array<InvocationData<C>>(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const waits = next();
    const awaiting = waits < 0 ? null : list(waits);
    const issued = list(next());
    const inbox = new Array<[number, Settlement]>(next());
    for (let j = 0; j < inbox.length; j++) inbox[j] = [next(), settlements[reply++]!];
    const frames = new Array<Frame>(next());
    for (let j = 0; j < frames.length; j++) {
      const m = frameOf[next()];
      if (m === undefined) throw new Error("a continuation table's frame names a machine it does not list");
      frames[j] = { machine: m.machine, version: m.version, pc: next(), locals: locals[local++]! };
    }
    rows[i] = { id: ids[i]!, key: keys[i]!, call: calls[i]!, frames, awaiting, awaitAll: awaitAll[i]!, inbox, issued };
  }
  if (s !== shapes.length || reply !== settlements.length || local !== locals.length) throw new Error("a continuation table's columns do not fit together");
  return rows;
}
