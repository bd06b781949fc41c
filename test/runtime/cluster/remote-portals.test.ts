/**
 * Portals of another runtime (docs/cluster.md, "Remote portals"): an asker on runtime B awaits
 * `portal.request(…)` of a replier on runtime A with the same code as in one process; requests
 * and replies travel as atoms on NATS JetStream, each side publishing after its checkpoint.
 * Asks and sends from outside on B of A's applications are forwarded to A ("What works").
 */
import { describe, expect, test } from "vitest";
import { PortalsApp, Sinks, type Application } from "portals-ts";
import { FLOW_LIMIT } from "../../../runtime/engine/components/flow-control.js";
import { until, useCluster } from "../../support/cluster.js";

const { nats, runtime, dataDir, known } = useCluster();

type Op = { op: "add"; item: string; n: number } | { op: "get"; item: string };

/** A keyed stock replier: add returns the new count (a negative amount is an error), get the count. */
function stock(name: string): Application {
  return PortalsApp(name, (app) => {
    const level = app.portal<Op, number>("level", { key: (r) => r.item });
    app
      .workflows<never, never>("serve")
      .source(app.generators.empty<never>().stream)
      .replier(
        level,
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

/** An asker that, for each operation sent to it, asks `portal` and emits "item=reply" (or the error's message). */
function shop(name: string, portal: string, sink = Sinks.memory<string>()): { app: Application; sink: typeof sink } {
  const app = PortalsApp(name, (app) => {
    const level = app.registry.portals.get<Op, number>(portal);
    app
      .workflows<Op, string>("orders")
      .source(app.generators.http<Op>("ops").stream)
      .asker(level, async (op, ctx) => {
        try {
          ctx.emit(`${op.item}=${await level.request(op)}`);
        } catch (thrown) {
          ctx.emit(`${op.item}: ${(thrown as Error).message}`);
        }
      })
      .sink(sink);
  });
  return { app, sink };
}

describe("an asker on runtime B, a replier on runtime A", () => {
  test("requests and replies cross runtimes in order, replier errors included", async () => {
    const a = await runtime("pa1");
    const b = await runtime("pb1");
    a.launch(stock("depot"));
    await known(b, "/depot", "pa1");
    const { app, sink } = shop("store", "/depot/portals/level");
    b.launch(app);
    await b.send("/store/generators/ops", [
      { op: "add", item: "apple", n: 3 },
      { op: "add", item: "pear", n: 1 },
    ]);
    await b.send("/store/generators/ops", [{ op: "add", item: "apple", n: 2 }, { op: "add", item: "apple", n: -1 }, { op: "get", item: "apple" }]);
    await until("five answers", () => sink.committed.length === 5);
    expect(sink.committed).toEqual(["apple=3", "pear=1", "apple=5", "apple: request to portal /depot/portals/level failed: cannot add -1 of apple (workflow /depot/workflows/serve, task replier#1, key \"apple\")", "apple=5"]);
    // The replier's state is A's: asked there, it has the counts B's requests made.
    expect(await a.ask("/depot/portals/level", { op: "get", item: "apple" })).toBe(5);
    // Asked from outside on B, the ask is forwarded to A and answered there, exactly once by key.
    expect(await b.ask("/depot/portals/level", { op: "add", item: "plum", n: 2 }, { idempotencyKey: "k1" })).toBe(2);
    expect(await b.ask("/depot/portals/level", { op: "add", item: "plum", n: 2 }, { idempotencyKey: "k1" })).toBe(2);
    expect(await a.ask("/depot/portals/level", { op: "get", item: "plum" })).toBe(2);
    await expect(b.ask("/depot/portals/level", { op: "add", item: "plum", n: -5 })).rejects.toThrow(expect.objectContaining({ code: "replier", message: expect.stringContaining("cannot add -5 of plum") }));
    await expect(b.ask("/depot/portals/nope", {})).rejects.toThrow(expect.objectContaining({ code: "not-found" }));
    await a.close();
    await expect(b.ask("/depot/portals/level", { op: "get", item: "plum" })).rejects.toThrow(
      expect.objectContaining({ code: "unavailable", message: "runtime pa1, which runs /depot, is not running or cannot be reached from the cluster now; ask again once it can" }),
    );
  });

  test("an ask forwarded while this runtime cannot reach NATS says so, not that the other runtime is down", async () => {
    // Found by a fresh user: it said the runtime that runs the application "did not answer".
    const a = await runtime("pa4");
    const b = await runtime("pb4");
    a.launch(stock("shed"));
    await known(b, "/shed", "pa4");
    await nats().kill();
    await new Promise((r) => setTimeout(r, 300));
    try {
      await expect(b.ask("/shed/portals/level", { op: "get", item: "x" })).rejects.toThrow(
        expect.objectContaining({
          code: "unavailable",
          message: "/shed runs on runtime pa4, and this runtime cannot reach the cluster's NATS server now; ask again once it can (the server's log says when it cannot)",
        }),
      );
    } finally {
      await nats().restart();
    }
  });

  test("a request nested too deep is refused as it is where the portal runs (400), not an overflow when it is forwarded as JSON", async () => {
    // Found by a fresh user's trial: 5,000 levels forwarded gave a 500 (the stack overflowed).
    const a = await runtime("pa-deep");
    const b = await runtime("pb-deep");
    a.launch(stock("deep"));
    await known(b, "/deep", "pa-deep");
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = { a: deep };
    const refusal = { code: "bad-request", message: expect.stringMatching(/^arrays and objects in the request nest more than 256 levels deep/) };
    expect(() => b.ask("/deep/portals/level", deep)).toThrow(expect.objectContaining(refusal));
    expect(() => a.ask("/deep/portals/level", deep)).toThrow(expect.objectContaining(refusal));
  });

  test("a replier whose portal an application of another runtime asks is not stopped (409) until that one is", async () => {
    // Found by a fresh user's trial: it was stopped, and the asker's requests waited for ever.
    const a = await runtime("pa7");
    const b = await runtime("pb7");
    a.launch(stock("stock7"));
    await known(b, "/stock7", "pa7");
    b.launch(shop("shop7", "/stock7/portals/level").app);
    await known(a, "/shop7", "pb7");
    await expect(a.stop("stock7")).rejects.toThrow(
      expect.objectContaining({ code: "conflict", message: "application stock7 serves portals that shop7 on runtime pb7 asks; stop it first" }),
    );
    await b.stop("shop7");
    await until("pa7 hears that shop7 stopped", async () => (await a.stop("stock7").then(() => true, () => false)));
    expect(a.running).toEqual([]);
  });

  test("a portal the remote application does not serve is a launch error naming it", async () => {
    const a = await runtime("pa2");
    const b = await runtime("pb2");
    a.launch(stock("yard"));
    await known(b, "/yard", "pa2");
    expect(() => b.launch(shop("kiosk", "/yard/portals/nope").app)).toThrow(
      "application /kiosk: /kiosk/workflows/orders needs portal /yard/portals/nope, which application /yard on runtime pa2 does not serve",
    );
  });

  test("parked continuations on B resume exactly once after A and then B restart", async () => {
    const dirA = dataDir();
    const dirB = dataDir();
    let a = await runtime("pa3", { dir: dirA });
    let b = await runtime("pb3", { dir: dirB });
    a.launch(stock("silo"));
    await known(b, "/silo", "pa3");
    const sink = Sinks.memory<string>();
    const asker = (): Application => shop("mill", "/silo/portals/level", sink).app;
    b.launch(asker());
    await b.send("/mill/generators/ops", [{ op: "add", item: "corn", n: 1 }]);
    await until("the first answer", () => sink.committed.length === 1);
    // A goes away: B's next request waits, parked, while B checkpoints.
    await a.close();
    await b.send("/mill/generators/ops", [{ op: "add", item: "corn", n: 10 }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.committed).toEqual(["corn=1"]);
    // B restarts too, with the continuation parked in its snapshot; then A comes back.
    await b.close();
    b = await runtime("pb3", { dir: dirB });
    expect(b.restoreLatest([asker()])).toBeDefined();
    a = await runtime("pa3", { dir: dirA });
    expect(a.restoreLatest([stock("silo")])).toBeDefined();
    await until("the answer after the restarts", () => sink.committed.length === 2);
    await b.send("/mill/generators/ops", [{ op: "get", item: "corn" }]);
    await until("the last answer", () => sink.committed.length === 3);
    expect(sink.committed).toEqual(["corn=1", "corn=11", "corn=11"]);
  });

  test("an asker fed faster than its replies come holds its input at the flow limit; other work goes on, and every request is answered once", async () => {
    const dirA = dataDir();
    let a = await runtime("pa-flow", { dir: dirA });
    const b = await runtime("pb-flow");
    const gauge = (): Application =>
      PortalsApp("gauge", (app) => {
        const bump = app.portal<number, number>("bump", { key: (x) => x % 100 });
        app.workflows<never, never>("count").source(app.generators.empty<never>().stream).replier(bump, () => {}, (_x, ctx) => {
          const n = ctx.perKey("n", 0);
          n.set(n.get() + 1);
          ctx.reply(n.get());
        }).sink();
      });
    a.launch(gauge());
    await known(b, "/gauge", "pa-flow");
    // The replier's runtime goes away: the requests wait on NATS, their continuations parked on B.
    await a.close();
    const total = FLOW_LIMIT + 6000;
    const replies = Sinks.memory<[number, number]>();
    b.launch(
      PortalsApp("flood", (app) => {
        const bump = app.registry.portals.get<number, number>("/gauge/portals/bump");
        app.workflows<number, [number, number]>("ask").source(app.generators.fromRange(0, total, 1000).stream).asker(bump, async (x, ctx) => ctx.emit([x, await bump.request(x)])).sink(replies);
      }),
    );
    const doubled = Sinks.memory<number>();
    b.launch(PortalsApp("local", (app) => void app.workflows<number, number>("double").source(app.generators.http<number>("in").stream).map((x) => x * 2).sink(doubled)));
    const parked = (): number => b.perApplication().find((c) => c.app === "flood")!.parked;
    await until("the flow limit", () => parked() === FLOW_LIMIT);
    // Held there: the atoms of the last 6,000 numbers wait in the input; local work goes on.
    await b.send("/local/generators/in", [1, 2]);
    await until("the local output", () => doubled.committed.length === 2);
    expect({ parked: parked(), doubled: doubled.committed, replies: replies.committed.length }).toEqual({ parked: FLOW_LIMIT, doubled: [2, 4], replies: 0 });
    a = await runtime("pa-flow", { dir: dirA });
    expect(a.restoreLatest([gauge()])).toBeDefined();
    await until("every reply", () => replies.committed.length === total, 60_000);
    // Each key x mod 100 got its requests answered 1, 2, … once each, in its order.
    const byKey = new Map<number, number[]>();
    for (const [x, n] of replies.committed) byKey.set(x % 100, [...(byKey.get(x % 100) ?? []), n]);
    const expected = Array.from({ length: total / 100 }, (_, i) => i + 1);
    expect([...byKey.values()].every((ns) => ns.join() === expected.join())).toBe(true);
    expect({ keys: byKey.size, parked: parked() }).toEqual({ keys: 100, parked: 0 });
  }, 90_000);
});

describe("a send on runtime B to an ingestion generator of an application on runtime A", () => {
  test("is forwarded to A and taken there once by its key; a bad one gets A's error, and A away is unavailable", async () => {
    const a = await runtime("pa6");
    const b = await runtime("pb6");
    const inbox = Sinks.memory<number>();
    a.launch(PortalsApp("inbox", (app) => void app.workflows<number, number>("keep").source(app.generators.http<number>("in").stream).sink(inbox)));
    await known(b, "/inbox", "pa6");
    expect(await b.send("/inbox/generators/in", [1, 2], { idempotencyKey: "s1" })).toEqual({ atom: 0, duplicate: false });
    expect(await b.send("/inbox/generators/in", [1, 2], { idempotencyKey: "s1" })).toEqual({ atom: 0, duplicate: true });
    expect(await b.send("/inbox/generators/in", [3])).toEqual({ atom: 1, duplicate: false });
    await until("A committed both sends", () => inbox.committed.length === 3);
    expect(inbox.committed).toEqual([1, 2, 3]);
    // Checked on B before anything travels, and on A for what only A knows.
    expect(() => b.send("/inbox/generators/in", 5 as unknown as number[])).toThrow(expect.objectContaining({ code: "bad-request" }));
    await expect(b.send("/inbox/generators/in", [4], { idempotencyKey: "s1" })).rejects.toThrow(expect.objectContaining({ code: "reused-key" }));
    await expect(b.send("/inbox/generators/nope", [4])).rejects.toThrow(
      expect.objectContaining({ code: "not-found", message: expect.stringMatching(/\/inbox\/generators\/nope.* \(looked for on runtime pa6, which runs \/inbox\)$/) }),
    );
    // More than NATS takes in one message: refused at once, saying where to send it (a retry would fail alike).
    await expect(b.send("/inbox/generators/in", ["x".repeat(1_100_000)])).rejects.toThrow(
      expect.objectContaining({ code: "bad-request", message: expect.stringMatching(/^the events and their options take 1100\d{3} bytes as JSON, more than this cluster's NATS server takes in one message \(max_payload, 1048576 bytes\), so they cannot be forwarded to runtime pa6, which runs \/inbox: send to that runtime directly, or send fewer at once$/) }),
    );
    await a.close();
    await expect(b.send("/inbox/generators/in", [4], { idempotencyKey: "s2" })).rejects.toThrow(
      expect.objectContaining({ code: "unavailable", message: "runtime pa6, which runs /inbox, is not running or cannot be reached from the cluster now; send again once it can" }),
    );
  });
});
