/**
 * The live system (docs/live.md): applications launched while others run, asks and sends from
 * outside released after the checkpoint that covers them, idempotent asks across a restore,
 * live sources (ingestion, rate, async iterables) that wake a sleeping loop.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { ApplicationError, PortalsApp, Sinks, Systems, type Application, type LiveSystem } from "portals-ts";

const opened: LiveSystem[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function live(options: Parameters<typeof Systems.live>[0] = {}): LiveSystem {
  const s = Systems.live({ log: () => {}, checkpointIntervalMs: 50, ...options });
  opened.push(s);
  return s;
}

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), "portals-live-"));
  dirs.push(d);
  return d;
}

type Op = { op: "add"; item: string; n: number } | { op: "get"; item: string };

/** A keyed stock portal: add returns the new count, get the count. */
function inventory(name = "inventory"): Application {
  return PortalsApp(name, (app) => {
    const stock = app.portal<Op, number>("stock", { key: (r) => r.item });
    app.workflows<never, never>("stock")
      .source(app.generators.empty<never>().stream)
      .replier(
        stock,
        () => {},
        (r, ctx) => {
          const count = ctx.perKey("count", 0);
          if (r.op === "add") {
            if (r.n < 0) throw new Error(`cannot add ${r.n} of ${r.item}`);
            count.set(count.get() + r.n);
          }
          ctx.reply(count.get());
        },
      )
      .sink();
  });
}

/** An application that asks the inventory of another application for every order it is sent. */
function shop(sink = Sinks.memory<string>()): { app: Application; sink: typeof sink } {
  const app = PortalsApp("shop", (app) => {
    const stock = app.registry.portals.get<Op, number>("/inventory/portals/stock");
    const orders = app.generators.http<string>("orders");
    app.workflows<string, string>("orders")
      .source(orders.stream)
      .asker(stock, async (item, ctx) => {
        const left = await stock.request({ op: "get", item });
        ctx.emit(`${item}:${left}`);
      })
      .sink(sink);
  });
  return { app, sink };
}

describe("asks from outside", () => {
  test("an ask gets the replier's reply, asks are served in order", async () => {
    const system = live();
    system.launch(inventory());
    expect(await system.ask("/inventory/portals/stock", { op: "add", item: "apple", n: 3 })).toBe(3);
    expect(await system.ask("/inventory/portals/stock", { op: "add", item: "apple", n: 2 })).toBe(5);
    const many = await Promise.all(Array.from({ length: 50 }, () => system.ask("/inventory/portals/stock", { op: "add", item: "pear", n: 1 })));
    expect([...many].sort((a, b) => (a as number) - (b as number))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await system.ask("/inventory/portals/stock", { op: "get", item: "pear" })).toBe(50);
  });

  test("an ask without an answer in time fails with timeout and goes on; a retry with its key gets the answer once it exists", async () => {
    const system = live({ dataDir: dataDir() });
    let asked = 0;
    system.launch(
      PortalsApp("slow", (app) => {
        const double = app.portal<number, number>("double");
        app.workflows<never, never>("w")
          .source(app.generators.empty<never>().stream)
          .replier(double, () => {}, (x, ctx) => {
            asked++;
            // Busy for 30 ms: the 1 ms timer of the ask is due before the answer.
            const until = Date.now() + 30;
            while (Date.now() < until);
            ctx.reply(x * 2);
          })
          .sink();
      }),
    );
    await expect(system.ask("/slow/portals/double", 21, { idempotencyKey: "k", timeoutMs: 1 })).rejects.toMatchObject({
      code: "timeout",
      message: "no answer from /slow/portals/double within 1 ms; ask again with the same idempotency key to get it once it exists",
    });
    await expect(system.ask("/slow/portals/double", 5, { timeoutMs: 1 })).rejects.toMatchObject({
      code: "timeout",
      message: "no answer from /slow/portals/double within 1 ms; the ask goes on and may still take effect (ask with an idempotency key to retry safely)",
    });
    expect(await system.ask("/slow/portals/double", 21, { idempotencyKey: "k" })).toBe(42);
    // Both asks that timed out went on; the retry was answered without asking again.
    expect(asked).toBe(2);
  });

  test("an idempotent ask is asked once: the same key gets the same reply", async () => {
    const system = live();
    system.launch(inventory());
    const add = { op: "add", item: "fig", n: 4 } as const;
    const [a, b] = await Promise.all([
      system.ask("/inventory/portals/stock", add, { idempotencyKey: "k1" }),
      system.ask("/inventory/portals/stock", add, { idempotencyKey: "k1" }),
    ]);
    expect([a, b]).toEqual([4, 4]);
    expect(await system.ask("/inventory/portals/stock", add, { idempotencyKey: "k1" })).toBe(4);
    expect(await system.ask("/inventory/portals/stock", { op: "get", item: "fig" })).toBe(4);
    expect(await system.ask("/inventory/portals/stock", add, { idempotencyKey: "k2" })).toBe(8);
    await expect(system.ask("/inventory/portals/stock", { ...add, n: 5 }, { idempotencyKey: "k2" })).rejects.toMatchObject({
      code: "reused-key",
      message: expect.stringContaining("used with another request"),
    });
    expect(await system.ask("/inventory/portals/stock", { op: "get", item: "fig" })).toBe(8);
  });

  test("answers of keyed asks are kept for idempotencyRetentionMs after the ask, then dropped: the key may name a new request", async () => {
    const system = live({ dataDir: dataDir(), idempotencyRetentionMs: 100 });
    system.launch(inventory());
    const add = { op: "add", item: "fig", n: 4 } as const;
    expect(await system.ask("/inventory/portals/stock", add, { idempotencyKey: "k" })).toBe(4);
    expect(await system.ask("/inventory/portals/stock", add, { idempotencyKey: "k" })).toBe(4);
    await expect(system.ask("/inventory/portals/stock", { ...add, n: 1 }, { idempotencyKey: "k" })).rejects.toMatchObject({ code: "reused-key" });
    // Sweeps run every 25 ms (a quarter of the retention): well past it, the answer is gone.
    await new Promise((r) => setTimeout(r, 500));
    expect(await system.ask("/inventory/portals/stock", { ...add, n: 1 }, { idempotencyKey: "k" })).toBe(5);
    expect(await system.ask("/inventory/portals/stock", { op: "get", item: "fig" })).toBe(5);
    expect(() => Systems.live({ idempotencyRetentionMs: 0 })).toThrow("Systems.live({ idempotencyRetentionMs: 0 }): the retention (milliseconds) must be a positive integer");
  });

  test("idempotency keys are per portal: one key with two portals of an application names two asks", async () => {
    const system = live();
    system.launch(
      PortalsApp("two", (app) => {
        const a = app.portal<number, string>("a");
        const b = app.portal<number, string>("b");
        const source = app.generators.empty<never>().stream;
        app.workflows<never, never>("a").source(source).replier(a, () => {}, (x, ctx) => ctx.reply(`a${x}`)).sink();
        app.workflows<never, never>("b").source(source).replier(b, () => {}, (x, ctx) => ctx.reply(`b${x}`)).sink();
      }),
    );
    expect(await system.ask("/two/portals/a", 1, { idempotencyKey: "same" })).toBe("a1");
    expect(await system.ask("/two/portals/b", 2, { idempotencyKey: "same" })).toBe("b2");
  });

  test("a replier error, an unknown portal, bad options and a timeout are LiveErrors with their code", async () => {
    const system = live();
    system.launch(inventory());
    await expect(system.ask("/inventory/portals/stock", { op: "add", item: "x", n: -1 })).rejects.toMatchObject({ code: "replier", message: expect.stringContaining("cannot add -1 of x") });
    expect(() => system.ask("/inventory/portals/nope", {})).toThrow(expect.objectContaining({ code: "not-found", message: expect.stringContaining("/inventory/portals/stock") }));
    expect(() => system.ask("/nope/portals/stock", {})).toThrow(expect.objectContaining({ code: "not-found" }));
    expect(() => system.ask("/inventory/portals/stock", {}, { timeoutMs: 0 })).toThrow(expect.objectContaining({ code: "bad-request" }));
    expect(() => system.ask("/inventory/portals/stock", {}, { idempotencyKey: "" })).toThrow(expect.objectContaining({ code: "bad-request" }));
    // Found by a fresh user: a keyed ask nested 10,000 deep overflowed the stack in the gateway, and every retry timed out.
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(() => system.ask("/inventory/portals/stock", { op: "get", item: deep }, { idempotencyKey: "deep" })).toThrow(
      expect.objectContaining({ code: "bad-request", message: "arrays and objects in the request nest more than 256 levels deep; flatten the request" }),
    );
    // The system goes on after each of them.
    expect(await system.ask("/inventory/portals/stock", { op: "get", item: "x" })).toBe(0);
  });

  test("with a data directory, a reply is released only after a checkpoint stored the change", async () => {
    const system = live({ dataDir: dataDir(), checkpointIntervalMs: 60_000 });
    system.launch(inventory());
    const before = system.stats.checkpoints;
    expect(await system.ask("/inventory/portals/stock", { op: "add", item: "kiwi", n: 1 })).toBe(1);
    expect(system.stats.checkpoints).toBeGreaterThan(before);
    expect(system.stats.lastCheckpointBytes).toBeGreaterThan(0);
  });
});

describe("launching while others run", () => {
  test("an application that needs another one's portal is refused until that one runs; nothing of it is left", async () => {
    const system = live();
    const { app, sink } = shop();
    expect(() => system.launch(app)).toThrow(ApplicationError);
    expect(() => system.launch(app)).toThrow(/\/inventory\/portals\/stock/);
    expect(system.applications.map((a) => a.name)).toEqual([]);
    system.launch(inventory("warehouse"));
    // The system's own applications (the gateway of warehouse) are not listed to the user.
    expect(() => system.launch(app)).toThrow(/\(launched: \/warehouse\)$/m);
    system.launch(inventory());
    await system.ask("/inventory/portals/stock", { op: "add", item: "apple", n: 7 });
    system.launch(app);
    await system.send("/shop/generators/orders", ["apple", "plum"]);
    await waitFor(() => sink.committed.length === 2);
    expect(sink.committed).toEqual(["apple:7", "plum:0"]);
    expect(system.applications.map((a) => a.name)).toEqual(["warehouse", "inventory", "shop"]);
  });

  test("several applications launch together, each may need the ones before it; one refused refuses all", async () => {
    const system = live();
    const bad = PortalsApp("bad", (app) => {
      app.workflows<number, number>("w").source(app.registry.streams.get<number>("/missing/workflows/w/stream")).identity().sink();
    });
    expect(() => system.launch([inventory(), shop().app, bad])).toThrow(/\/bad: .*\/missing\/workflows\/w\/stream/s);
    expect(system.applications).toEqual([]);
    const { app, sink } = shop();
    system.launch([inventory(), app]);
    await system.send("/shop/generators/orders", ["fig"]);
    await waitFor(() => sink.committed.length === 1);
    expect(sink.committed).toEqual(["fig:0"]);
  });

  test("names starting with portals. are the system's own", () => {
    const system = live();
    expect(() => system.launch(inventory("portals.mine"))).toThrow(/reserved for the system/);
  });
});

describe("ingestion", () => {
  test("a send is one atom; a send with a key seen before appends nothing", async () => {
    const system = live({ dataDir: dataDir() });
    const sink = Sinks.memory<number>();
    system.launch(
      PortalsApp("counter", (app) => {
        app.workflows<number, number>("double").source(app.generators.http<number>("in").stream).map((x) => x * 2).sink(sink);
      }),
    );
    expect(await system.send("/counter/generators/in", [1, 2], { idempotencyKey: "a" })).toEqual({ atom: 0, duplicate: false });
    expect(await system.send("/counter/generators/in", [1, 2], { idempotencyKey: "a" })).toEqual({ atom: 0, duplicate: true });
    // Found by a fresh user: another send under the same key was answered as a duplicate, its events dropped.
    expect(() => system.send("/counter/generators/in", [1, 3], { idempotencyKey: "a" })).toThrow(
      expect.objectContaining({ code: "reused-key", message: "this idempotency key was used with other events; use a new key for a new send" }),
    );
    expect(await system.send("/counter/generators/in", [5])).toEqual({ atom: 1, duplicate: false });
    await waitFor(() => sink.committed.length === 3);
    expect(sink.committed).toEqual([2, 4, 10]);
    expect(() => system.send("/counter/generators/nope", [1])).toThrow(expect.objectContaining({ code: "not-found" }));
    expect(() => system.send("/counter/generators/in", 1 as never)).toThrow(expect.objectContaining({ code: "bad-request" }));
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = { next: deep };
    expect(() => system.send("/counter/generators/in", [deep])).toThrow(expect.objectContaining({ code: "bad-request", message: "arrays and objects in the events nest more than 256 levels deep; flatten the events" }));
  });
});

describe("stopping", () => {
  test("a stopped application's streams end for their readers; its portals and streams take no more calls; it stays stopped after a restore", async () => {
    const dir = dataDir();
    const system = live({ dataDir: dir });
    const ends: string[] = [];
    const reader = (): Application =>
      PortalsApp("reader", (app) => {
        app.workflows<string, string>("w")
          .source(app.registry.streams.get<string>("/shop/workflows/orders/stream"))
          .identity()
          .withOnComplete(() => void ends.push("the shop's orders ended"))
          .sink();
      });
    const { app: shopApp } = shop();
    system.launch([inventory(), shopApp, reader()]);
    await expect(system.stop("inventory")).rejects.toMatchObject({ code: "conflict", message: expect.stringContaining("that shop asks; stop it first") });
    await system.stop("shop");
    await waitFor(() => ends.length === 1);
    expect(system.isStopped("shop")).toBe(true);
    expect(() => system.send("/shop/generators/orders", ["apple"])).toThrow(expect.objectContaining({ code: "not-found", message: expect.stringContaining("was stopped") }));
    await expect(system.stop("shop")).rejects.toMatchObject({ code: "not-found" });
    await system.stop("inventory");
    expect(() => system.ask("/inventory/portals/stock", { op: "get", item: "a" })).toThrow(expect.objectContaining({ code: "not-found" }));
    expect(() => system.launch(shop().app)).toThrow(/\/inventory\/portals\/stock of application inventory, which was stopped/);
    expect(() => system.tail("/shop/workflows/orders/stream", () => {})).toThrow(expect.objectContaining({ code: "not-found" }));
    await system.close();

    const again = live({ dataDir: dir });
    again.restoreLatest([inventory(), shop().app, reader()]);
    expect([again.isStopped("inventory"), again.isStopped("shop"), again.isStopped("reader")]).toEqual([true, true, false]);
  });
});

describe("coalesced ingestion", () => {
  test("sends queued while the system is busy become one atom; each send's events stay together, in order", async () => {
    const system = live({ dataDir: dataDir(), checkpointIntervalMs: 60_000 });
    const sink = Sinks.memory<number>();
    system.launch(
      PortalsApp("many", (app) => {
        app.workflows<number, number>("w").source(app.generators.http<number>("in", { coalesce: true }).stream).identity().sink(sink);
      }),
    );
    const receipts = await Promise.all([system.send("/many/generators/in", [1, 2]), system.send("/many/generators/in", [3]), system.send("/many/generators/in", [4, 5])]);
    expect(new Set(receipts.map((r) => r.atom)).size).toBe(1);
    await waitFor(() => sink.committed.length === 5);
    expect(sink.committed).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("tails", () => {
  test("a tail gets the events of every atom from now on, after the checkpoint covering it, and the end", async () => {
    const system = live({ dataDir: dataDir(), checkpointIntervalMs: 60_000 });
    system.launch(
      PortalsApp("ticks", (app) => {
        const input = app.generators.http<number>("in");
        app.workflows<number, number>("w").source(input.stream).map((x) => x + 1).sink();
      }),
    );
    const seen: unknown[] = [];
    const stop = system.tail("/ticks/workflows/w/stream", (events, end) => seen.push(...events, ...(end ? ["end"] : [])));
    await system.send("/ticks/generators/in", [1, 2]);
    await waitFor(() => seen.length === 2);
    const checkpoints = system.stats.checkpoints;
    expect(seen).toEqual([2, 3]);
    stop();
    await system.send("/ticks/generators/in", [3]);
    expect(seen).toEqual([2, 3]);
    expect(system.stats.checkpoints).toBeGreaterThanOrEqual(checkpoints);
    expect(() => system.tail("/ticks/workflows/nope/stream", () => {})).toThrow(expect.objectContaining({ code: "not-found" }));

    const ended: unknown[] = [];
    system.launch(
      PortalsApp("short", (app) => {
        app.workflows<number, number>("w").source(app.generators.rate(1000, (i) => i, { count: 3, atomSize: 3 }).stream).identity().sink();
      }),
    );
    system.tail("/short/workflows/w/stream", (events, end) => ended.push(...events, ...(end ? ["end"] : [])));
    await waitFor(() => ended.includes("end"));
    expect(ended.filter((e) => e !== "end").length).toBeLessThanOrEqual(3);
    expect(ended.at(-1)).toBe("end");
  });

  test("a tail of a stream that ended before it began gets the end at once, after a restore too (it hung before, found by a fresh user)", async () => {
    const dir = dataDir();
    const app = () => PortalsApp("done", (app) => void app.workflows<number, number>("w").source(app.generators.fromArray([1, 2]).stream).identity().sink());
    const first = live({ dataDir: dir, checkpointIntervalMs: 60_000 });
    first.launch(app());
    const before: unknown[] = [];
    first.tail("/done/workflows/w/stream", (events, end) => before.push(...events, ...(end ? ["end"] : [])));
    await waitFor(() => before.includes("end"));
    // Idle now: the late tail's end comes with the checkpoint it asks for.
    const late: unknown[] = [];
    first.tail("/done/workflows/w/stream", (events, end) => late.push(...events, ...(end ? ["end"] : [])));
    await waitFor(() => late.length > 0);
    expect([before, late]).toEqual([[1, 2, "end"], ["end"]]);
    await first.close();
    const again = live({ dataDir: dir, checkpointIntervalMs: 60_000 });
    again.restoreLatest([app()]);
    const restored: unknown[] = [];
    again.tail("/done/workflows/w/stream", (events, end) => restored.push(...events, ...(end ? ["end"] : [])));
    await waitFor(() => restored.length > 0);
    expect(restored).toEqual(["end"]);
    await again.close();
  });
});

describe("live sources", () => {
  test("a rate generator makes its events in order, and the loop sleeps when it is done", async () => {
    const system = live();
    const sink = Sinks.memory<number>();
    system.launch(
      PortalsApp("ticks", (app) => {
        app.workflows<number, number>("w").source(app.generators.rate(2000, (i) => i * 10, { count: 40 }).stream).identity().sink(sink);
      }),
    );
    await waitFor(() => sink.committed.length === 40);
    expect(sink.committed).toEqual(Array.from({ length: 40 }, (_, i) => i * 10));
    const steps = system.stats.steps;
    await new Promise((r) => setTimeout(r, 100));
    expect(system.stats.steps).toBe(steps);
  });

  test("a rate generator restored from a snapshot taken while it waited for its next event goes on (its timer died with the process)", async () => {
    const dir = dataDir();
    // So fast that an event is due whenever it is asked: no timer is set when it is deployed; after
    // each step it has made all that was due, waits, and leaves the ready set.
    const ticks = (): Application =>
      PortalsApp("ticks", (app) => {
        app.workflows<number, number>("w").source(app.generators.rate(1_000_000, (i) => i, { count: 1e9, atomSize: 1000 }).stream).identity().sink();
      });
    const first = live({ dataDir: dir });
    first.launch(ticks());
    const before: unknown[] = [];
    first.tail("/ticks/workflows/w/stream", (events) => before.push(...events));
    await waitFor(() => before.length >= 20_000);
    // As after a crash: the data directory as the running system left it (closing takes a checkpoint of its own).
    const crashed = dataDir();
    cpSync(dir, crashed, { recursive: true });
    await first.close();
    const second = live({ dataDir: crashed });
    expect(second.restoreLatest([ticks()])).toMatch(/^\d{12}-\d{9}$/);
    const after: number[] = [];
    second.tail("/ticks/workflows/w/stream", (events) => after.push(...(events as number[])));
    await waitFor(() => after.length >= 20_000);
    // On from where the snapshot left it, in order.
    expect(after[0]).toBeGreaterThan(0);
    expect(after.slice(0, 20_000)).toEqual(Array.from({ length: 20_000 }, (_, i) => after[0]! + i));
  });

  test("a slow async iterable holds up no ask", async () => {
    const system = live();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow() {
      yield 1;
      await gate;
      yield 2;
    }
    const sink = Sinks.memory<number>();
    system.launch(inventory());
    system.launch(
      PortalsApp("slow", (app) => {
        app.workflows<number, number>("w").source(app.generators.fromAsyncIterable(slow()).stream).identity().sink(sink);
      }),
    );
    await waitFor(() => sink.committed.length === 1);
    expect(await system.ask("/inventory/portals/stock", { op: "add", item: "a", n: 1 })).toBe(1);
    release();
    await waitFor(() => sink.committed.length === 2);
    expect(sink.committed).toEqual([1, 2]);
  });
});

describe("fairness", () => {
  test("a long chain of portal traffic does not hold up an outside ask until it ends", async () => {
    const system = live();
    const done = Sinks.memory<string>();
    system.launch(inventory());
    system.launch(
      PortalsApp("chain", (app) => {
        const slow = app.portal<number, number>("slow");
        const start = app.generators.http<number>("start");
        app.workflows<never, never>("slow").source(app.generators.empty<never>().stream).replier(slow, () => {}, (x, ctx) => {
          const until = performance.now() + 0.5;
          while (performance.now() < until);
          ctx.reply(x);
        }).sink();
        app.workflows<number, string>("looper").source(start.stream).asker(slow, async (n, ctx) => {
          for (let i = 0; i < n; i++) await slow.request(i);
          ctx.emit("done");
        }).sink(done);
      }),
    );
    await system.send("/chain/generators/start", [4000]);
    // The chain takes about 2 s of portal traffic; the ask is answered while it runs.
    expect(await system.ask("/inventory/portals/stock", { op: "get", item: "x" })).toBe(0);
    expect(done.committed).toEqual([]);
    await waitFor(() => done.committed.length === 1);
  });
});

describe("failures", () => {
  test("state that is not data fails the checkpoint: the loop ends, waiting callers and later calls say why", async () => {
    const system = live({ dataDir: dataDir() });
    system.launch(
      PortalsApp("bad", (app) => {
        const p = app.portal<number, number>("p");
        app.workflows<never, never>("w").source(app.generators.empty<never>().stream).replier(p, () => {}, (x, ctx) => {
          ctx.state.set("f", () => x);
          ctx.reply(x);
        }).sink();
      }),
    );
    await expect(system.ask("/bad/portals/p", 1)).rejects.toMatchObject({ code: "failed", message: expect.stringContaining("internal error") });
    expect(system.stoppedBecause).toMatch(/^the live system stopped after an internal error: .*function/);
    expect(() => system.ask("/bad/portals/p", 2)).toThrow(expect.objectContaining({ code: "failed" }));
  });
});

describe("restore", () => {
  test("a new system on the data directory continues: state, ingestion keys and idempotent answers", async () => {
    const dir = dataDir();
    const first = live({ dataDir: dir });
    first.launch(inventory());
    expect(await first.ask("/inventory/portals/stock", { op: "add", item: "apple", n: 2 }, { idempotencyKey: "once" })).toBe(2);
    await first.close();

    const second = live({ dataDir: dir });
    expect(second.restoreLatest([inventory()])).toMatch(/^\d{12}-\d{9}$/);
    expect(await second.ask("/inventory/portals/stock", { op: "add", item: "apple", n: 2 }, { idempotencyKey: "once" })).toBe(2);
    expect(await second.ask("/inventory/portals/stock", { op: "get", item: "apple" })).toBe(2);
    expect(await second.ask("/inventory/portals/stock", { op: "add", item: "apple", n: 1 })).toBe(3);
  });

  test("applications launched after the newest snapshot are launched afresh after the restore", async () => {
    const dir = dataDir();
    const first = live({ dataDir: dir });
    first.launch(inventory());
    expect(await first.ask("/inventory/portals/stock", { op: "add", item: "apple", n: 5 })).toBe(5);
    await first.close();
    const second = live({ dataDir: dir });
    const { app, sink } = shop();
    expect(second.restoreLatest([inventory(), app])).toMatch(/^\d{12}-\d{9}$/);
    expect(second.applications.map((a) => a.name)).toEqual(["inventory", "shop"]);
    await second.send("/shop/generators/orders", ["apple"]);
    await waitFor(() => sink.committed.length === 1);
    expect(sink.committed).toEqual(["apple:5"]);
  });

  test("one live system at a time uses a data directory; a lock left by a process that is gone is taken over", async () => {
    const dir = dataDir();
    const first = live({ dataDir: dir });
    expect(() => Systems.live({ dataDir: dir, log: () => {} })).toThrow(/data directory .* is in use by another live system in this process/);
    await first.close();
    writeFileSync(join(dir, "LOCK"), "2147483646 left-by-a-killed-process\n");
    const second = live({ dataDir: dir });
    expect(readFileSync(join(dir, "LOCK"), "utf8")).toMatch(new RegExp(`^${process.pid} `));
    await second.close();
    expect(existsSync(join(dir, "LOCK"))).toBe(false);
  });

  test("a lock is taken over from this pid when no live system here holds it, from a reused pid, and from a zombie; a running owner keeps it", async () => {
    const procStart = (pid: number): string => {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
    };
    const dir = dataDir();
    const takesOver = async (lock: string): Promise<void> => {
      writeFileSync(join(dir, "LOCK"), lock);
      const system = live({ dataDir: dir });
      expect(readFileSync(join(dir, "LOCK"), "utf8")).toMatch(new RegExp(`^${process.pid} ${procStart(process.pid)} `));
      await system.close();
    };
    // A container's PID 1 restarted after SIGKILL finds its own pid in the lock.
    await takesOver(`${process.pid} ${procStart(process.pid)} left-by-the-same-pid-before-a-restart\n`);
    // Pid 1 runs, but it is not the process that wrote the lock: it started at another time.
    await takesOver("1 999999999999 left-by-a-process-whose-pid-was-reused\n");
    // A killed server its parent has not reaped yet: a zombie.
    const shell = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 20"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => shell.stdout!.once("data", (d: Buffer) => resolve(d.toString()))));
      await waitFor(() => readFileSync(`/proc/${zombie}/stat`, "utf8").split(") ")[1]!.startsWith("Z"));
      await takesOver(`${zombie} ${procStart(zombie)} left-by-a-zombie\n`);
      // The shell (now `sleep 20`) runs and started when its lock says: the lock is its.
      writeFileSync(join(dir, "LOCK"), `${shell.pid} ${procStart(shell.pid!)} held-by-a-running-process\n`);
      expect(() => Systems.live({ dataDir: dir, log: () => {} })).toThrow(`data directory ${dir} is in use by process ${shell.pid} (${join(dir, "LOCK")}); stop it first, or use another directory`);
      // Without a start time (another format) the lock is the running process's too.
      writeFileSync(join(dir, "LOCK"), `${shell.pid} held-without-a-start-time\n`);
      expect(() => Systems.live({ dataDir: dir, log: () => {} })).toThrow(`is in use by process ${shell.pid}`);
    } finally {
      shell.kill("SIGKILL");
    }
  });

  test("without snapshots restoreLatest leaves the system to start afresh", () => {
    const system = live({ dataDir: dataDir() });
    expect(system.restoreLatest([inventory()])).toBeUndefined();
    system.launch(inventory());
    expect(system.applications.map((a) => a.name)).toEqual(["inventory"]);
  });

  test("after close every call says the system was closed", async () => {
    const system = live();
    system.launch(inventory());
    expect(system.stoppedBecause).toBeUndefined();
    await system.close();
    expect(system.stoppedBecause).toBe("the live system was closed");
    expect(() => system.ask("/inventory/portals/stock", { op: "get", item: "a" })).toThrow(expect.objectContaining({ code: "closed" }));
    expect(() => system.launch(inventory("other"))).toThrow(/closed/);
  });
});

/** Waits until `done()` (checked every 5 ms), failing after 10 s. */
async function waitFor(done: () => boolean): Promise<void> {
  const until = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > until) throw new Error("condition not met within 10 s");
    await new Promise((r) => setTimeout(r, 5));
  }
}
