/**
 * `build()` well-formedness (runtime/graph/validate.ts; messages as in docs/architecture.md, "Errors"): one exact message per
 * problem, every problem of an application reported together in one ApplicationError.
 */
import { describe, expect, test } from "vitest";
import { ApplicationBuilder, ApplicationError, PortalsApp, Tasks, type Application } from "portals-ts";

/** The problems `build()` reports for the application `define` makes (fails when it builds). */
function problems(define: (app: ApplicationBuilder) => void, name = "shop"): readonly string[] {
  let app: Application | undefined;
  try {
    app = PortalsApp(name, define);
  } catch (e) {
    expect(e).toBeInstanceOf(ApplicationError);
    expect((e as ApplicationError).application).toBe(`/${name}`);
    return (e as ApplicationError).problems;
  }
  throw new Error(`application ${app.path} built, but problems were expected`);
}

/** A workflow that is well formed, to put the problem under test next to. */
function fine(app: ApplicationBuilder, name = "fine"): void {
  app.workflows<number, number>(name).source(app.generators.fromArray([1]).stream).identity().sink().freeze();
}

describe("each problem, with its exact message", () => {
  test("two generators with the same name", () => {
    expect(
      problems((app) => {
        app.generators.fromArray([1], { name: "orders" });
        const g = app.generators.fromArray([2], { name: "orders" });
        app.workflows<number, number>("w").source(g.stream).identity().sink().freeze();
      }),
    ).toEqual(["generator /shop/generators/orders has the same path as another generator: give one of them another name"]);
  });

  test("two workflows, sequencers, splitters, splits, connections or portals with the same name", () => {
    expect(
      problems((app) => {
        const g = app.generators.fromArray([1]);
        app.workflows<number, number>("w").source(g.stream).identity().sink().freeze();
        app.workflows<number, number>("w").source(g.stream).identity().sink().freeze();
        const s1 = app.sequencers.random<number>({ name: "seq" });
        app.sequencers.random<number>({ name: "seq" });
        app.connections.connect(g.stream, s1, { name: "c" });
        app.connections.connect(g.stream, s1, { name: "c" });
        const sp = app.splitters.empty(g.stream, { name: "sp" });
        app.splitters.empty(g.stream, { name: "sp" });
        app.splits.split(sp, () => true, { name: "all" });
        app.splits.split(sp, () => true, { name: "all" });
        const p = app.portal<number, number>("p");
        app.portal<number, number>("p");
        app.workflows<number, never>("server").source(g.stream).replier(p, () => {}, (x, ctx) => ctx.reply(x)).sink().freeze();
      }),
    ).toEqual([
      "sequencer /shop/sequencers/seq has the same path as another sequencer: give one of them another name",
      "splitter /shop/splitters/sp has the same path as another splitter: give one of them another name",
      "split /shop/splits/all has the same path as another split: give one of them another name",
      "connection /shop/connections/c has the same path as another connection: give one of them another name",
      "portal /shop/portals/p has the same path as another portal: give one of them another name",
      "workflow /shop/workflows/w has the same path as another workflow: give one of them another name",
    ]);
  });

  test("a portal with no replier", () => {
    expect(
      problems((app) => {
        app.portal<string, number>("inventory");
        fine(app);
      }),
    ).toEqual(["portal /shop/portals/inventory has no replier: add .replier(portal, onNext, onAsk) or .askerReplier(...) to a workflow"]);
  });

  test("a portal with two repliers, in two workflows or in one", () => {
    expect(
      problems((app) => {
        const p = app.portal<number, number>("inventory");
        const g = app.generators.fromArray([1]);
        app.workflows<number, never>("a").source(g.stream).replier(p, () => {}, (x, ctx) => ctx.reply(x)).sink().freeze();
        const b = app.workflows<number, never>("b").source(g.stream);
        b.replier(p, () => {}, (x, ctx) => ctx.reply(x)).withName("first").sink();
        b.replier(p, () => {}, (x, ctx) => ctx.reply(x)).withName("second").sink();
      }),
    ).toEqual([
      "portal /shop/portals/inventory has 3 repliers (workflow /shop/workflows/a, task replier#1; workflow /shop/workflows/b, task first; workflow /shop/workflows/b, task second): a portal has exactly one",
    ]);
  });

  test("a replier for a portal of another application", () => {
    expect(
      problems((app) => {
        const theirs = app.registry.portals.get<number, number>("/warehouse/portals/stock");
        app
          .workflows<number, never>("w")
          .source(app.generators.fromArray([1]).stream)
          .replier(theirs, () => {}, (x, ctx) => ctx.reply(x))
          .withName("steal")
          .sink()
          .freeze();
      }),
    ).toEqual([
      "workflow /shop/workflows/w, task steal replies to portal /warehouse/portals/stock of another application: a portal is served in the application that defines it",
    ]);
  });

  test("a replier for a portal of this application that app.portal never created", () => {
    expect(
      problems((app) => {
        const ghost = app.registry.portals.get<number, number>("/shop/portals/ghost");
        app.workflows<number, never>("w").source(app.generators.fromArray([1]).stream).replier(ghost, () => {}, () => {}).sink().freeze();
      }),
    ).toEqual([
      'registry.portals.get("/shop/portals/ghost") refers to this application: use the ref the builder returned instead',
      "portal /shop/portals/ghost is replied to but not defined: create it with app.portal(...)",
    ]);
  });

  test("a workflow without a source, and one without a sink", () => {
    expect(
      problems((app) => {
        app.workflows<number, number>("nothing");
        app.workflows<number, number>("open").source(app.generators.fromArray([1]).stream).map((x) => x + 1);
      }),
    ).toEqual([
      "workflow /shop/workflows/nothing has no source: call .source(stream) first",
      "workflow /shop/workflows/nothing has no sink: end a flow with .sink()",
      "workflow /shop/workflows/open has no sink: end a flow with .sink()",
    ]);
  });

  test("malformed registry paths, one per kind", () => {
    expect(
      problems((app) => {
        app.registry.streams.get("/other/stream");
        app.registry.streams.get("other/workflows/w/stream");
        app.registry.sequencers.get("/other/sequencers/s/stream");
        app.registry.splitters.get("/other/splits/s");
        app.registry.portals.get("/other/portals");
        // A workflow's internal streams are not its dead letters.
        app.registry.streams.get("/other/workflows/w/portal-in/stream");
        app.registry.streams.get("/other/generators/g/failed/stream");
        fine(app);
      }),
    ).toEqual([
      'registry.streams.get("/other/stream"): not a stream path; expected /<app>/workflows/<name>/stream (or /<app>/workflows/<name>/<dead letters>/stream)',
      'registry.streams.get("other/workflows/w/stream"): not a stream path; expected /<app>/workflows/<name>/stream (or /<app>/workflows/<name>/<dead letters>/stream)',
      'registry.sequencers.get("/other/sequencers/s/stream"): not a sequencer path; expected /<app>/sequencers/<name>',
      'registry.splitters.get("/other/splits/s"): not a splitter path; expected /<app>/splitters/<name>',
      'registry.portals.get("/other/portals"): not a portal path; expected /<app>/portals/<name>',
      'registry.streams.get("/other/workflows/w/portal-in/stream"): not a stream path; expected /<app>/workflows/<name>/stream (or /<app>/workflows/<name>/<dead letters>/stream)',
      'registry.streams.get("/other/generators/g/failed/stream"): not a stream path; expected /<app>/workflows/<name>/stream (or /<app>/workflows/<name>/<dead letters>/stream)',
    ]);
  });

  test("well-formed registry paths of every stream kind pass build()", () => {
    const app = PortalsApp("client", (app) => {
      for (const path of [
        "/other/workflows/w/stream",
        "/other/generators/g/stream",
        "/other/sequencers/s/stream",
        "/other/splits/s/stream",
        "/other/workflows/w/failed/stream",
      ]) {
        app.workflows<number, number>().source(app.registry.streams.get<number>(path)).identity().sink().freeze();
      }
    });
    expect(app.plan.requires.map((r) => r.path)).toEqual([
      "/other/workflows/w/stream",
      "/other/generators/g/stream",
      "/other/sequencers/s/stream",
      "/other/splits/s/stream",
      "/other/workflows/w/failed/stream",
    ]);
  });

  test("a registry path that points into the same application", () => {
    expect(
      problems((app) => {
        fine(app, "w");
        app.registry.streams.get("/shop/workflows/w/stream");
        app.registry.sequencers.get("/shop/sequencers/s");
        app.registry.splitters.get("/shop/splitters/s");
      }),
    ).toEqual([
      'registry.streams.get("/shop/workflows/w/stream") refers to this application: use the ref the builder returned instead',
      'registry.sequencers.get("/shop/sequencers/s") refers to this application: use the ref the builder returned instead',
      'registry.splitters.get("/shop/splitters/s") refers to this application: use the ref the builder returned instead',
    ]);
  });

  test("callbacks that are not functions: operators, hooks, replier handlers, init, wrappers, nested steps, vsm", () => {
    expect(
      problems((app) => {
        const p = app.portal<number, number>("p");
        const src = app.workflows<number, number>("w").source(app.generators.fromArray([1]).stream);
        src.map<number>(42 as never).sink();
        src.filter("x" as never).sink();
        src.identity().withOnAtomComplete(null as never).withName("hooked").sink();
        src.replier(p, () => {}, undefined as never).withName("serve").sink();
        src.init<number>({} as never).withName("made").sink();
        src.identity().withWrapper(1 as never).withName("wrapped").sink();
        src.identity().withStep(Tasks.map(true as never)).withName("stepped").sink();
        src.vsm<number>({} as never).withName("machine").sink();
      }),
    ).toEqual([
      "workflow /shop/workflows/w, task map#1 (map): the callback must be a function, got number",
      "workflow /shop/workflows/w, task filter#2 (filter): the callback must be a function, got string",
      "workflow /shop/workflows/w, task hooked (identity): onAtomComplete must be a function, got null",
      "workflow /shop/workflows/w, task serve (replier): the request handler (onAsk) must be a function, got undefined",
      "workflow /shop/workflows/w, task made (init): the factory must be a function, got object",
      "workflow /shop/workflows/w, task wrapped (wrapper): the wrapper must be a function, got number",
      "workflow /shop/workflows/w, task stepped (map): the callback must be a function, got boolean",
      "workflow /shop/workflows/w, task machine (vsm): the initial state must come from VSM.processor(...)",
    ]);
  });

  test("two tasks with the same name in one workflow", () => {
    expect(
      problems((app) => {
        app
          .workflows<number, number>("w")
          .source(app.generators.fromArray([1]).stream)
          .map((x) => x)
          .withName("double")
          .map((x) => x * 2)
          .withName("double")
          .sink()
          .freeze();
      }),
    ).toEqual(["workflow /shop/workflows/w has two tasks named double: rename one with withName"]);
  });
});

describe("several problems at once", () => {
  test("all problems of an application come together, in one message listing each", () => {
    let error: ApplicationError | undefined;
    try {
      PortalsApp("shop", (app) => {
        app.generators.fromArray([1], { name: "g" });
        app.generators.fromArray([2], { name: "g" });
        app.portal<number, number>("idle");
        app.registry.streams.get("/elsewhere");
        app.workflows<number, number>("empty");
        app.workflows<number, number>("w").source(app.generators.signal(1).stream).map<number>(7 as never).sink().freeze();
      });
    } catch (e) {
      error = e as ApplicationError;
    }
    expect(error).toBeInstanceOf(ApplicationError);
    expect(error!.problems).toHaveLength(6);
    expect(error!.message).toBe(
      [
        "application /shop has 6 problems:",
        "  - generator /shop/generators/g has the same path as another generator: give one of them another name",
        '  - registry.streams.get("/elsewhere"): not a stream path; expected /<app>/workflows/<name>/stream (or /<app>/workflows/<name>/<dead letters>/stream)',
        "  - workflow /shop/workflows/empty has no source: call .source(stream) first",
        "  - workflow /shop/workflows/empty has no sink: end a flow with .sink()",
        "  - workflow /shop/workflows/w, task map#1 (map): the callback must be a function, got number",
        "  - portal /shop/portals/idle has no replier: add .replier(portal, onNext, onAsk) or .askerReplier(...) to a workflow",
      ].join("\n"),
    );
  });

  test("a single problem is one line naming the application", () => {
    let error: unknown;
    try {
      PortalsApp("shop", (app) => void app.workflows<number, number>("w").source(app.generators.signal(1).stream));
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toBe("application /shop: workflow /shop/workflows/w has no sink: end a flow with .sink()");
    expect((error as Error).name).toBe("ApplicationError");
  });
});

describe("builder misuse that is caught at once", () => {
  test("build() twice, a bad application name, a bad part name", () => {
    const b = new ApplicationBuilder("once");
    fine(b);
    b.build();
    expect(() => b.build()).toThrow(new TypeError("application /once: build() was already called"));
    expect(() => new ApplicationBuilder("my app")).toThrow(
      new TypeError('application name "my app" is invalid: use letters, digits, "_", "-" or "." (not "." or ".." alone)'),
    );
    // Found by a fresh user: an application named ".." was launched and could not be reached over HTTP.
    expect(() => new ApplicationBuilder("..")).toThrow('application name ".." is invalid');
    expect(() => b.portal("a/b")).toThrow(new TypeError('portal "a/b" is invalid: use letters, digits, "_", "-", "." or "$" (not "." or ".." alone)'));
    expect(() => b.portal(".")).toThrow('portal "." is invalid');
  });

  test("a second source, a change after freeze(), a with* method before any task, a union across workflows", () => {
    const app = new ApplicationBuilder("misuse");
    const g = app.generators.fromArray([1]);
    const w = app.workflows<number, number>("w");
    const flow = w.source(g.stream);
    expect(() => w.source(g.stream)).toThrow(
      new TypeError("workflow /misuse/workflows/w: the source is already /misuse/generators/$1/stream; a workflow has one source"),
    );
    expect(() => flow.withName("x")).toThrow(
      new TypeError("workflow /misuse/workflows/w: with* methods change the latest task; add a task (e.g. .identity()) first"),
    );
    const other = app.workflows<number, number>("other").source(g.stream).identity();
    expect(() => flow.identity().union(other)).toThrow(new TypeError("workflow /misuse/workflows/w: union(...) takes flows of the same workflow"));
    const done = flow.identity().sink();
    done.freeze();
    expect(() => done.map((x) => x)).toThrow(new TypeError("workflow /misuse/workflows/w is frozen: adding a task is not possible after freeze()"));
  });
});
