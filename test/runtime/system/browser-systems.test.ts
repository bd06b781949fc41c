/**
 * The systems of the package's browser entry (`runtime/browser.ts`), run here on Node, which has
 * the web APIs they use: a live system steps, yielding through a `MessageChannel`, and answers
 * asks; what needs files is refused, saying what to use instead. (That the entry runs without
 * Node at all is test/architecture/browser.test.ts.)
 */
import { expect, test } from "vitest";
import { PortalsApp, Systems } from "../../../runtime/browser.js";

test("a live system answers asks, its driver yielding between batches through a MessageChannel", async () => {
  const system = Systems.live({ log: () => {}, checkpointIntervalMs: 10 });
  try {
    system.launch(
      PortalsApp("counter", (app) => {
        const count = app.portal<string, number>("count", { key: (page) => page });
        app
          .workflows<never, never>("count")
          .source(app.generators.empty<never>().stream)
          .replier(
            count,
            () => {},
            (_page, ctx) => {
              const n = ctx.perKey("n", 0);
              n.set(n.get() + 1);
              ctx.reply(n.get());
            },
          )
          .sink();
      }),
    );
    const answers = await Promise.all(Array.from({ length: 100 }, () => system.ask("/counter/portals/count", "/home")));
    expect([...answers].sort((a, b) => (a as number) - (b as number))).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  } finally {
    await system.close();
  }
});

test("a fromFile generator fails at launch and a live system takes no data directory: a browser has no files", () => {
  const app = PortalsApp("lines", (app) => {
    app.workflows<unknown, unknown>("w").source(app.generators.fromFile<unknown>("events.jsonl").stream).sink();
  });
  expect(() => Systems.test({ log: () => {} }).launch(app)).toThrow(
    'application /lines: generator /lines/generators/$1: fromFile("events.jsonl") reads a file, and portals-ts in a browser has no files; give the events with fromArrayOfArrays, fromIterable or fromAsyncIterable',
  );
  expect(() => Systems.live({ dataDir: "/data", log: () => {} })).toThrow('Systems.live({ dataDir: "/data" }): portals-ts in a browser has no files to keep checkpoints in; leave dataDir out');
});
