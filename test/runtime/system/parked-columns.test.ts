/**
 * Continuation tables by column in snapshots (docs/snapshots.md, "Payload"): any table comes
 * back as it was, and what an operator gave the runtime (locals, calls, settlements) stays
 * shared with the rest of the snapshot.
 */
import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { InvocationData, Settlement } from "../../../runtime/engine/portals/invocation.js";
import { createCodec } from "../../../runtime/state/codec.js";
import { fromColumns, toColumns, type ParkedColumns } from "../../../runtime/system/parked-columns.js";

const ids = fc.array(fc.integer({ min: 1, max: 1_000_000 }), { maxLength: 4 });
const settlement: fc.Arbitrary<Settlement> = fc.oneof(
  fc.record({ ok: fc.constant(true as const), value: fc.jsonValue() }),
  fc.record({ ok: fc.constant(false as const), error: fc.string() }),
);
const frame = fc.record({
  machine: fc.constantFrom("app.ts#orders/asker#1", "helpers.ts#reserve", "odd @ name\u0000#1"),
  version: fc.constantFrom("7edde1fe4fcd", "0a1b2c3d4e5f"),
  pc: fc.nat(40),
  locals: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })),
});
const row: fc.Arbitrary<InvocationData<unknown>> = fc.record({
  id: fc.nat(),
  key: fc.oneof(fc.integer(), fc.string()),
  call: fc.record({ mode: fc.nat(3), event: fc.jsonValue({ maxDepth: 1 }), serving: fc.constant(null) }),
  frames: fc.array(frame, { minLength: 1, maxLength: 3 }),
  awaiting: fc.option(ids, { nil: null }),
  awaitAll: fc.boolean(),
  inbox: fc.array(fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), settlement), { maxLength: 3 }),
  issued: ids,
});

describe("a continuation table by column", () => {
  test("comes back as it was, through the codec, whatever its invocations hold", () => {
    const codec = createCodec();
    fc.assert(
      fc.property(fc.array(row, { maxLength: 12 }), (rows) => {
        const columns = codec.decode(codec.encode(toColumns(rows))) as ParkedColumns<unknown>;
        expect(fromColumns(columns)).toEqual(rows);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  test("lists each machine once, and keeps what the operator gave it shared with the rest of the snapshot", () => {
    const cart = { items: ["apple"] };
    const shared = { mode: 0, event: undefined, serving: null };
    const rows: InvocationData<unknown>[] = [1, 2].map((id) => ({
      id,
      key: "k",
      call: shared,
      frames: [{ machine: "app.ts#cart/asker#1", version: "v1", pc: 1, locals: { cart } }],
      awaiting: [id],
      awaitAll: false,
      inbox: [],
      issued: [id],
    }));
    const columns = toColumns(rows);
    expect(columns.machines).toEqual(["app.ts#cart/asker#1", "v1"]);
    const codec = createCodec();
    const back = codec.decode(codec.encode({ state: cart, parked: columns })) as { state: unknown; parked: ParkedColumns<unknown> };
    const restored = fromColumns(back.parked);
    expect(restored[0]!.frames[0]!.locals.cart).toBe(back.state);
    expect(restored[1]!.frames[0]!.locals.cart).toBe(back.state);
    expect(restored[0]!.call).toBe(restored[1]!.call);
  });

  test("columns that do not fit together are refused", () => {
    const columns = toColumns([{ id: 1, key: 0, call: null, frames: [{ machine: "m", version: "v", pc: 0, locals: {} }], awaiting: [1], awaitAll: false, inbox: [], issued: [1] }]);
    expect(() => fromColumns({ ...columns, shapes: columns.shapes.slice(0, 3) })).toThrow("a continuation table's columns end early");
    expect(() => fromColumns({ ...columns, shapes: [...columns.shapes, 0] })).toThrow("a continuation table's columns do not fit together");
    expect(() => fromColumns({ ...columns, machines: [] })).toThrow("a continuation table's frame names a machine it does not list");
  });
});
