/**
 * A stream's unread atoms in delta snapshots (docs/snapshots.md, "Deltas"): a delta holds the
 * atoms appended since the previous snapshot, not every unread one again, so a consumer that
 * lags (a cluster's export waiting for the server) does not make every checkpoint larger.
 */
import { expect, test } from "vitest";
import { atom, type Atom } from "../../../runtime/engine/atom.js";
import { applyStreamDelta, AtomicStream, type StreamState } from "../../../runtime/engine/stream.js";

const n = (x: number): Atom => atom([0], [x], undefined, false, false);
const values = (s: StreamState): unknown[] => s.atoms.map((a) => a.values[0]);

test("deltas hold the atoms appended since the previous save; applied in order they give the full state", () => {
  const stream = new AtomicStream("/app/workflows/w/stream");
  const cursor = stream.subscribe({ wake: () => {} });
  [0, 1, 2].forEach((x) => stream.append(n(x)));
  const full = stream.save();
  expect(values(full)).toEqual([0, 1, 2]);

  [3, 4].forEach((x) => stream.append(n(x)));
  const d1 = stream.save(true);
  expect({ atoms: values(d1), first: d1.first, end: d1.end }).toEqual({ atoms: [3, 4], first: 0, end: 5 });
  const after1 = applyStreamDelta(full, d1);
  expect(values(after1)).toEqual([0, 1, 2, 3, 4]);

  for (let i = 0; i < 4; i++) cursor.next();
  stream.append(n(5));
  const d2 = stream.save(true);
  expect({ atoms: values(d2), first: d2.first }).toEqual({ atoms: [5], first: 4 });
  const after2 = applyStreamDelta(after1, d2);
  expect({ atoms: values(after2), end: after2.end, first: after2.first }).toEqual({ atoms: [4, 5], end: 6, first: undefined });

  // Everything read, then more appended and read again: the delta is empty and so is the state.
  cursor.next();
  cursor.next();
  stream.append(n(6));
  cursor.next();
  const d3 = stream.save(true);
  expect({ atoms: values(d3), first: d3.first }).toEqual({ atoms: [], first: 7 });
  expect(values(applyStreamDelta(after2, d3))).toEqual([]);

  // A restored stream continues the chain from the state it was given.
  const restored = new AtomicStream("/app/workflows/w/stream");
  restored.subscribe({ wake: () => {} });
  restored.load(applyStreamDelta(after2, d3));
  restored.append(n(7));
  expect(values(applyStreamDelta(applyStreamDelta(after2, d3), restored.save(true)))).toEqual([7]);
});

test("a delta that does not extend the state it is applied to is refused, naming the atoms", () => {
  const stream = new AtomicStream("/app/workflows/w/stream");
  stream.subscribe({ wake: () => {} });
  [0, 1].forEach((x) => stream.append(n(x)));
  const full = stream.save();
  stream.append(n(2));
  stream.save(true);
  stream.append(n(3));
  const skipping = stream.save(true); // extends the delta before it, not `full`
  expect(() => applyStreamDelta(full, skipping)).toThrow("the delta of a stream needs atoms 0 to 3 of the snapshot before it, which has 0 to 2");
});

test("a stream added since the snapshot before (a cluster's import) has all its unread atoms in its first delta", () => {
  // Found by the remote portal test: an import made when another runtime began to ask.
  const stream = new AtomicStream("/app/portals/p/requests/from/b/stream");
  const cursor = stream.subscribe({ wake: () => {} });
  [0, 1, 2].forEach((x) => stream.append(n(x)));
  cursor.next();
  const first = stream.save(true);
  expect({ atoms: values(first), first: first.first }).toEqual({ atoms: [1, 2], first: 1 });
  expect(values(applyStreamDelta({ end: 0, atoms: [], cursors: [] }, first))).toEqual([1, 2]);
});
