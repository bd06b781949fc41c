/**
 * Invocations (runtime/engine/portals/invocation.ts): the frame stack of one call of a compiled
 * operator, driven by hand. Replies are settlements delivered with `receive`; every case is
 * compared with what the same native async function would do.
 */
import { describe, expect, test } from "vitest";
import { defineMachine, RequestHandle, Step } from "portals-ts/machine";
import { Invocation, type Settlement } from "../../../../runtime/engine/portals/invocation.js";
import { returns, script, valueOf } from "../../../support/machines.js";

const ctx = { name: "ctx" };
const h = (requestId: number): RequestHandle => new RequestHandle("/t/portals/p", requestId);
const ok = (value: unknown): Settlement => ({ ok: true, value });
const err = (error: unknown): Settlement => ({ ok: false, error });

/**
 * An invocation that issued requests 1–4 and 7 (the handles the scripts await), as the task runner
 * records each request its invocation makes.
 */
function invocation(...args: ConstructorParameters<typeof Invocation>): Invocation {
  const inv = new Invocation(...args);
  for (const id of [1, 2, 3, 4, 7]) inv.issue(id);
  return inv;
}

/** Delivers a settlement and, when the invocation can go on, runs it; returns the outcome. */
function deliver(inv: Invocation, requestId: number, settlement: Settlement): ReturnType<Invocation["run"]> | "waiting" {
  const input = inv.receive(requestId, settlement);
  return input === undefined ? "waiting" : inv.run(ctx, input);
}

describe("one await after another", () => {
  test("sequential awaits park on each request in turn and finish with the last segment's value", () => {
    // async (x) => { const a = await r1; const b = await r2; return `${x}:${a + b}` }
    const m = script("inv#seq", [
      () => h(1),
      (l, _, input) => {
        l.a = valueOf(input);
        return h(2);
      },
      (l, _, input) => returns(`${l.args[0]}:${l.a + valueOf(input)}`),
    ]);
    const inv = invocation(1, "k", m, ["x"], "call");
    expect(inv.start(ctx)).toEqual({ kind: "parked" });
    expect(inv.awaiting).toEqual([1]);
    expect(inv.awaitAll).toBe(false);
    expect(inv.frames).toEqual([{ machine: "inv#seq", version: "1", pc: 1, locals: { args: ["x"] } }]);
    expect(deliver(inv, 1, ok(10))).toEqual({ kind: "parked" });
    expect(inv.awaiting).toEqual([2]);
    expect(inv.frames[0]!.locals).toEqual({ args: ["x"], a: 10 });
    expect(deliver(inv, 2, ok(5))).toEqual({ kind: "done", value: "x:15" });
    expect(inv.frames).toEqual([]);
    expect([inv.id, inv.key, inv.call]).toEqual([1, "k", "call"]);
  });

  test("a reply that arrives before its request is awaited is kept and used at the await, without parking", () => {
    // async () => { const p1 = req1(); const b = await req2(); const a = await p1; return [a, b] }
    const m = script("inv#early", [
      (l) => {
        l.first = h(1);
        return h(2);
      },
      (l, _, input) => {
        l.b = valueOf(input);
        return l.first;
      },
      (l, _, input) => returns([valueOf(input), l.b]),
    ]);
    const inv = invocation(1, 0, m, [], null);
    expect(inv.start(ctx)).toEqual({ kind: "parked" });
    expect(deliver(inv, 1, ok("one"))).toBe("waiting");
    expect(inv.awaiting).toEqual([2]);
    expect(deliver(inv, 2, ok("two"))).toEqual({ kind: "done", value: ["one", "two"] });
  });

  test("awaiting the same handle twice gives the same reply twice, as a settled promise does", () => {
    const m = script("inv#twice", [
      () => h(1),
      (l, _, input) => {
        l.a = valueOf(input);
        return h(1);
      },
      (l, _, input) => returns([l.a, valueOf(input)]),
    ]);
    const inv = invocation(1, 0, m, [], null);
    inv.start(ctx);
    expect(deliver(inv, 1, ok({ n: 1 }))).toEqual({ kind: "done", value: [{ n: 1 }, { n: 1 }] });
  });

  test("awaiting the same failed handle twice throws the same error twice", () => {
    const boom = new Error("boom");
    const m = script("inv#twice-failed", [
      () => h(1),
      (l, _, input) => {
        try {
          valueOf(input);
        } catch (e) {
          l.first = e;
        }
        return h(1);
      },
      (l, _, input) => {
        try {
          valueOf(input);
        } catch (e) {
          return returns(e === l.first && e === boom);
        }
        return returns("no throw");
      },
    ]);
    const inv = invocation(1, 0, m, [], null);
    inv.start(ctx);
    expect(deliver(inv, 1, err(boom))).toEqual({ kind: "done", value: true });
  });

  test("an uncaught failed reply fails the invocation with the replier's error", () => {
    const boom = new Error("replier failed");
    const inv = invocation(1, 0, script("inv#uncaught", [() => h(1), (_, __, input) => valueOf(input)]), [], null);
    inv.start(ctx);
    const outcome = deliver(inv, 1, err(boom));
    expect(outcome).toEqual({ kind: "failed", error: boom });
    expect((outcome as { error: unknown }).error).toBe(boom);
    expect(inv.frames).toEqual([]);
  });

  test("awaiting a request another invocation issued throws into the frame at the await, instead of waiting forever", () => {
    // The handle of request 9 was made by another call (kept in state, say): its reply would
    // resume that call, never this one.
    const caught = script("inv#foreign", [
      () => h(9),
      (_, __, input) => {
        try {
          valueOf(input);
          return returns("no throw");
        } catch (e) {
          return returns((e as Error).message);
        }
      },
    ]);
    expect(invocation(1, 0, caught, [], null).start(ctx)).toEqual({
      kind: "done",
      value:
        "awaited request 9 to portal /t/portals/p, which another call of the operator issued; " +
        "a request can only be awaited by the call that made it (await it there, or make a new request)",
    });
    const all = script("inv#foreign-all", [() => [h(1), h(8)], (_, __, input) => valueOf(input)]);
    const outcome = invocation(1, 0, all, [], null).start(ctx);
    expect(outcome.kind).toBe("failed");
    expect(((outcome as { error: Error }).error).message).toMatch(/^awaited request 8 to portal \/t\/portals\/p, which another call/);
  });

  test("a settlement for a request the invocation does not await (yet) changes nothing but the inbox", () => {
    const inv = invocation(1, 0, script("inv#other", [() => h(1), () => returns("done")]), [], null);
    inv.start(ctx);
    expect(inv.receive(9, ok("stray"))).toBeUndefined();
    expect(inv.awaiting).toEqual([1]);
    expect(inv.toData().inbox).toEqual([[9, { ok: true, value: "stray" }]]);
  });
});

describe("Promise.all over several requests", () => {
  const all = (id: string) =>
    script(id, [
      () => [h(1), h(2), h(3)],
      (_, __, input) => {
        try {
          return returns({ values: valueOf(input) });
        } catch (e) {
          return returns({ caught: (e as Error).message });
        }
      },
    ]);

  test("resumes once, with the replies in request order, whatever order they arrive in", () => {
    for (const order of [
      [1, 2, 3],
      [3, 1, 2],
      [2, 3, 1],
      [3, 2, 1],
    ]) {
      const inv = invocation(1, 0, all("inv#all"), [], null);
      expect(inv.start(ctx)).toEqual({ kind: "parked" });
      expect(inv.awaiting).toEqual([1, 2, 3]);
      expect(inv.awaitAll).toBe(true);
      const outcomes = order.map((id) => deliver(inv, id, ok(`r${id}`)));
      expect(outcomes).toEqual(["waiting", "waiting", { kind: "done", value: { values: ["r1", "r2", "r3"] } }]);
    }
  });

  test("rejects with the first failure to arrive, at once, without waiting for the other replies", () => {
    const inv = invocation(1, 0, all("inv#all-fail"), [], null);
    inv.start(ctx);
    expect(deliver(inv, 1, ok("r1"))).toBe("waiting");
    expect(inv.receive(3, err(new Error("third failed")))).toEqual({ kind: "throw", error: new Error("third failed") });
    expect(inv.awaiting).toBeNull();
    expect(inv.run(ctx, { kind: "throw", error: new Error("third failed") })).toEqual({ kind: "done", value: { caught: "third failed" } });
    // Later settlements find no await: nothing happens.
    expect(inv.receive(2, err(new Error("second failed")))).toBeUndefined();
  });

  test("when failures are already in at the await, it rejects with the first in array order, not in arrival order", () => {
    // const ps = [req1(), req2(), req3()]; await req4(); await Promise.all(ps)
    const m = script("inv#all-settled", [
      (l) => {
        l.ps = [h(1), h(2), h(3)];
        return h(4);
      },
      (l) => l.ps,
      (_, __, input) => {
        try {
          return returns(valueOf(input));
        } catch (e) {
          return returns(`caught ${(e as Error).message}`);
        }
      },
    ]);
    const inv = invocation(1, 0, m, [], null);
    inv.start(ctx);
    expect(deliver(inv, 3, err(new Error("three")))).toBe("waiting");
    expect(deliver(inv, 2, err(new Error("two")))).toBe("waiting");
    // Request 1 is still pending: the rejection does not wait for it.
    expect(deliver(inv, 4, ok("go"))).toEqual({ kind: "done", value: "caught two" });
  });

  test("with every reply already in at the await, it resumes at once with all of them", () => {
    const m = script("inv#all-in", [
      (l) => {
        l.ps = [h(1), h(2)];
        return h(3);
      },
      (l) => l.ps,
      (_, __, input) => returns(valueOf(input)),
    ]);
    const inv = invocation(1, 0, m, [], null);
    inv.start(ctx);
    deliver(inv, 2, ok("b"));
    deliver(inv, 1, ok("a"));
    expect(deliver(inv, 3, ok("c"))).toEqual({ kind: "done", value: ["a", "b"] });
  });

  test("hundreds at once (a scan of 1,000 keys): replies in any order, some before the await, the same handle twice, a restore in between", () => {
    // const early = req(100); await req(101); await Promise.all([100, 1, 2, …, 99, 1]) — counted, not rescanned, per reply.
    const ids = Array.from({ length: 99 }, (_, i) => i + 1);
    const m = script("inv#many", [
      () => h(101),
      () => [h(100), ...ids.map(h), h(1)],
      (_, __, input) => returns(valueOf(input)),
    ]);
    const inv = new Invocation(1, 0, m, [], null);
    for (const id of [...ids, 100, 101]) inv.issue(id);
    expect(inv.start(ctx)).toEqual({ kind: "parked" });
    expect(deliver(inv, 100, ok("r100"))).toBe("waiting");
    expect(deliver(inv, 101, ok("go"))).toEqual({ kind: "parked" });
    const shuffled = [...ids].sort((a, b) => ((a * 37) % 101) - ((b * 37) % 101));
    for (const id of shuffled.slice(0, 50)) expect(deliver(inv, id, ok(`r${id}`))).toBe("waiting");
    // A snapshot while parked, restored: what is still missing is counted again.
    const restored = Invocation.restore(inv.toData(), () => m);
    for (const id of shuffled.slice(50, -1)) expect(deliver(restored, id, ok(`r${id}`))).toBe("waiting");
    // A reply no one awaits changes nothing; the last awaited one resumes with all, in array order.
    expect(restored.receive(555, ok("stray"))).toBeUndefined();
    expect(deliver(restored, shuffled.at(-1)!, ok(`r${shuffled.at(-1)}`))).toEqual({ kind: "done", value: ["r100", ...ids.map((id) => `r${id}`), "r1"] });
  });

  test("hundreds at once, one fails: it rejects at that reply, as native Promise.all does", () => {
    const ids = Array.from({ length: 40 }, (_, i) => i + 1);
    const m = script("inv#many-fail", [() => ids.map(h), (_, __, input) => returns(valueOf(input))]);
    const inv = new Invocation(1, 0, m, [], null);
    for (const id of ids) inv.issue(id);
    inv.start(ctx);
    expect(deliver(inv, 5, ok("r5"))).toBe("waiting");
    expect(inv.receive(17, err(new Error("seventeen")))).toEqual({ kind: "throw", error: new Error("seventeen") });
    expect(inv.awaiting).toBeNull();
  });

  test("matches native Promise.all: the first failure to arrive wins while it waits, array order when already settled", async () => {
    const deferred = () => {
      let reject!: (e: unknown) => void;
      const promise = new Promise((_, r) => (reject = r));
      promise.catch(() => {});
      return { promise, reject };
    };
    const [a, b, c] = [deferred(), deferred(), deferred()];
    const waiting = Promise.all([a.promise, b.promise, c.promise]).catch((e) => (e as Error).message);
    c.reject(new Error("c"));
    a.reject(new Error("a"));
    expect(await waiting).toBe("c");
    const settled = Promise.all([a.promise, b.promise, c.promise]).catch((e) => (e as Error).message);
    expect(await settled).toBe("a");
  });
});

describe("helper calls (Step.call): a frame stack", () => {
  // async function helper(id) { const v = await request(id); if (v < 0) throw ...; return v * 2 }
  const helper = script("inv#helper", [
    (l) => h(l.args[0] as number),
    (_, __, input) => {
      const v = valueOf(input) as number;
      if (v < 0) throw new Error(`negative ${v}`);
      return returns(v * 2);
    },
  ]);
  const seen: unknown[] = [];
  /** async (x) => { try { return `helper returned ${await helper(7)}` } catch (e) { return `caught ${e.message}` } } */
  const caller = (catches: boolean) =>
    defineMachine({
      id: catches ? "inv#caller" : "inv#caller-no-catch",
      resume(frame, c, input) {
        seen.push(c);
        if (frame.pc === 0) {
          frame.pc = 1;
          return Step.call(helper, [7]);
        }
        try {
          return Step.return(`helper returned ${valueOf(input)}`);
        } catch (e) {
          if (!catches) throw e;
          return Step.return(`caught ${(e as Error).message}`);
        }
      },
    });

  test("the helper's frame sits on top of the caller's while it awaits; its return value resumes the caller", () => {
    seen.length = 0;
    const inv = invocation(1, "k", caller(true), ["x"], null);
    expect(inv.start(ctx)).toEqual({ kind: "parked" });
    expect(inv.frames).toEqual([
      { machine: "inv#caller", version: "1", pc: 1, locals: { args: ["x"] } },
      { machine: "inv#helper", version: "1", pc: 1, locals: { args: [7] } },
    ]);
    expect(inv.awaiting).toEqual([7]);
    expect(deliver(inv, 7, ok(5))).toEqual({ kind: "done", value: "helper returned 10" });
    expect(inv.frames).toEqual([]);
    expect(seen.every((c) => c === ctx)).toBe(true);
  });

  test("an error thrown by the helper is thrown into the caller at its await, which can catch it", () => {
    const inv = invocation(1, 0, caller(true), [], null);
    inv.start(ctx);
    expect(deliver(inv, 7, ok(-1))).toEqual({ kind: "done", value: "caught negative -1" });
  });

  test("a failed reply inside the helper propagates through the caller when neither catches", () => {
    const failure = new Error("replier failed");
    const inv = invocation(1, 0, caller(false), [], null);
    inv.start(ctx);
    expect(deliver(inv, 7, err(failure))).toEqual({ kind: "failed", error: failure });
    expect(inv.frames).toEqual([]);
  });

  test("a helper that returns without awaiting resumes the caller in the same run", () => {
    const sync = script("inv#sync-helper", [(l) => returns((l.args[0] as number) + 1)]);
    const m = defineMachine({
      id: "inv#sync-caller",
      resume(frame, _, input) {
        if (frame.pc++ === 0) return Step.call(sync, [41]);
        return Step.return(valueOf(input));
      },
    });
    expect(invocation(1, 0, m, [], null).start(ctx)).toEqual({ kind: "done", value: 42 });
  });

  test("a machine that throws at its start fails the invocation", () => {
    const inv = invocation(
      1,
      0,
      script("inv#throws", [
        () => {
          throw new TypeError("bad input");
        },
      ]),
      [],
      null,
    );
    expect(inv.start(ctx)).toEqual({ kind: "failed", error: new TypeError("bad input") });
  });
});
