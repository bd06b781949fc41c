/**
 * Problems found by `system.launch(app)` (runtime/engine/system.ts): they need the running
 * system, so `build()` cannot see them. Each is an ApplicationError with an exact message, and
 * a failed launch leaves the system as it was.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { ApplicationError, PortalsApp, Systems, type Application, type TestSystem } from "portals-ts";
import { collecting } from "../../support/machines.js";

/** Files the runtime opened and closed (through node:fs, counted by the mock below). */
const files = vi.hoisted(() => ({ opened: 0, closed: 0 }));
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return {
    ...fs,
    openSync: (...args: Parameters<typeof fs.openSync>) => {
      const fd = fs.openSync(...args);
      files.opened++;
      return fd;
    },
    closeSync: (fd: number) => {
      fs.closeSync(fd);
      files.closed++;
    },
  };
});

const dir = mkdtempSync(join(tmpdir(), "portals-launch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The producer: a numbers generator and a pass-through workflow, with a portal that doubles. */
function producer(): Application {
  return PortalsApp("producer", (app) => {
    const g = app.generators.fromArrayOfArrays([[1], [2]], { name: "numbers" });
    app.workflows<number, number>("pass").source(g.stream).identity().sink().freeze();
    const double = app.portal<number, number>("double");
    app
      .workflows<never, never>("server")
      .source(app.generators.empty<never>().stream)
      .replier(double, () => {}, (x, ctx) => ctx.reply(x * 2))
      .sink()
      .freeze();
  });
}

/** A consumer of the producer's stream that logs what it sees. */
function consumer(name = "consumer"): Application {
  return PortalsApp(name, (app) => {
    const s = app.registry.streams.get<number>("/producer/workflows/pass/stream");
    app.workflows<number, number>("read").source(s).logger(`${name} `).sink().freeze();
  });
}

/** The ApplicationError `launch` throws. */
function launchError(system: TestSystem, app: Application): ApplicationError {
  try {
    system.launch(app);
  } catch (e) {
    expect(e).toBeInstanceOf(ApplicationError);
    return e as ApplicationError;
  }
  throw new Error(`launching ${app.path} succeeded, but it should have failed`);
}

/** Checks that `system` has exactly `apps` launched and nothing to do. */
function unchanged(system: TestSystem, apps: string[]): void {
  expect(system.applications).toEqual(apps);
  expect(system.canStep()).toBe(false);
  expect(system.stats).toEqual({ steps: 0, atoms: 0, events: 0 });
}

describe("launch-time problems, with exact messages, leave the system unchanged", () => {
  test("an application launched twice", () => {
    const { lines, log } = collecting();
    const system = Systems.test({ log });
    const app = PortalsApp("once", (app) => {
      app.workflows<number, number>("w").source(app.generators.fromArray([1, 2]).stream).logger().sink().freeze();
    });
    system.launch(app);
    const error = launchError(system, app);
    expect(error.message).toBe("application /once: it is already launched in this system (give each application a name of its own)");
    expect(system.applications).toEqual(["/once"]);
    system.stepUntilComplete();
    expect(lines).toEqual(["1", "2"]);
  });

  test("a consumer of a stream of an application that is not launched: names what needs it; no application launched yet", () => {
    const system = Systems.test();
    const error = launchError(system, consumer());
    expect(error.problems).toEqual([
      "/consumer/workflows/read needs stream /producer/workflows/pass/stream, which no launched application defines; launch the application that defines it first (launched: none)",
    ]);
    unchanged(system, []);
  });

  test("unknown registry paths of every kind list the launched applications; a portal is reported once", () => {
    const system = Systems.test();
    system.launch(producer());
    const error = launchError(
      system,
      PortalsApp("client", (app) => {
        const s = app.registry.streams.get<number>("/producer/workflows/nope/stream");
        app.workflows<number, number>("read").source(s).identity().sink().freeze();
        const p = app.registry.portals.get<number, number>("/producer/portals/triple");
        app.workflows<number, never>("asks").source(app.generators.signal(1).stream).asker(p, () => {}).sink().freeze();
        const seq = app.registry.sequencers.get<number>("/warehouse/sequencers/in");
        app.connections.connect(app.generators.signal(2).stream, seq, { name: "feed" });
        const sp = app.registry.splitters.get<number>("/warehouse/splitters/out");
        app.splits.split(sp, () => true, { name: "mine" });
      }),
    );
    expect(error.message).toBe(
      [
        "application /client has 4 problems:",
        "  - /client/splits/mine needs splitter /warehouse/splitters/out, which no launched application defines; launch the application that defines it first (launched: /producer)",
        "  - /client/connections/feed needs sequencer /warehouse/sequencers/in, which no launched application defines; launch the application that defines it first (launched: /producer)",
        "  - /client/workflows/read needs stream /producer/workflows/nope/stream, which no launched application defines; launch the application that defines it first (launched: /producer)",
        "  - /client/workflows/asks needs portal /producer/portals/triple, which no launched application defines; launch the application that defines it first (launched: /producer)",
      ].join("\n"),
    );
  });

  test("a fromFile file that does not exist", () => {
    const system = Systems.test();
    const missing = join(dir, "missing.jsonl");
    const error = launchError(
      system,
      PortalsApp("files", (app) => {
        app.workflows<unknown, unknown>("w").source(app.generators.fromFile(missing, { name: "lines" }).stream).identity().sink().freeze();
      }),
    );
    expect(error.message).toBe(
      `application /files: generator /files/generators/lines: cannot open ${missing} (ENOENT: no such file or directory, open '${missing}'); check the path given to fromFile`,
    );
    unchanged(system, []);
  });

  test("an init factory that throws, or returns something that is not a plain task", () => {
    const system = Systems.test();
    const path = join(dir, "ok.jsonl");
    writeFileSync(path, "1\n");
    const throwing = PortalsApp("setup", (app) => {
      app.workflows<unknown, unknown>("w").source(app.generators.fromFile(path).stream).identity().sink().freeze();
      app
        .workflows<number, number>("configured")
        .source(app.generators.signal(1).stream)
        .init<number>(() => {
          throw new Error("no config");
        })
        .withName("config")
        .sink()
        .freeze();
    });
    expect(launchError(system, throwing).message).toBe("application /setup: workflow /setup/workflows/configured, task config: no config");
    const notATask = PortalsApp("setup2", (app) => {
      app.workflows<number, number>("w").source(app.generators.signal(1).stream).init<number>(() => 5 as never).sink().freeze();
    });
    expect(launchError(system, notATask).message).toBe(
      "application /setup2: workflow /setup2/workflows/w, task init#1: init(factory): the factory must return a task built with Tasks.*",
    );
    unchanged(system, []);
  });

  test("after a failed launch, nothing of the application is registered: its streams cannot be consumed", () => {
    const system = Systems.test();
    const broken = PortalsApp("producer", (app) => {
      const g = app.generators.fromArray([1], { name: "numbers" });
      app
        .workflows<number, number>("pass")
        .source(g.stream)
        .init<number>(() => {
          throw new Error("broken");
        })
        .sink()
        .freeze();
    });
    launchError(system, broken);
    expect(launchError(system, consumer()).problems).toEqual([
      "/consumer/workflows/read needs stream /producer/workflows/pass/stream, which no launched application defines; launch the application that defines it first (launched: none)",
    ]);
    unchanged(system, []);
  });

  test("a failed launch can be fixed: launching the missing application first, then the consumer, works", () => {
    const { lines, log } = collecting();
    const system = Systems.test({ log });
    const c = consumer();
    launchError(system, c);
    system.launch(producer());
    system.launch(c);
    expect(system.applications).toEqual(["/producer", "/consumer"]);
    system.stepUntilComplete();
    expect(lines).toEqual(["consumer 1", "consumer 2"]);
  });

  test("launch and step after shutdown", () => {
    const system = Systems.test();
    system.shutdown();
    expect(() => system.launch(producer())).toThrow(new Error("launch(): the system was shut down"));
    expect(() => system.step()).toThrow(new Error("step(): the system was shut down"));
  });

  test("a failed launch leaves no file open: neither when a later file is missing nor when an init factory throws", () => {
    const system = Systems.test({ log: () => {} });
    const ok = join(dir, "present.jsonl");
    writeFileSync(ok, "1\n2\n");
    const before = { ...files };
    launchError(
      system,
      PortalsApp("two-files", (app) => {
        app.workflows<unknown, unknown>("a").source(app.generators.fromFile(ok).stream).identity().sink().freeze();
        app.workflows<unknown, unknown>("b").source(app.generators.fromFile(join(dir, "absent.jsonl")).stream).identity().sink().freeze();
      }),
    );
    expect({ opened: files.opened - before.opened, closed: files.closed - before.closed }).toEqual({ opened: 1, closed: 1 });
    launchError(
      system,
      PortalsApp("file-and-init", (app) => {
        app.workflows<unknown, unknown>("a").source(app.generators.fromFile(ok).stream).identity().sink().freeze();
        app
          .workflows<number, number>("b")
          .source(app.generators.signal(1).stream)
          .init<number>(() => {
            throw new Error("no config");
          })
          .sink()
          .freeze();
      }),
    );
    expect(files.opened - before.opened).toBe(files.closed - before.closed);
    unchanged(system, []);
  });

  test("a file source closes its file at the end of the file", () => {
    const system = Systems.test({ log: () => {} });
    const path = join(dir, "closes.jsonl");
    writeFileSync(path, "1\n");
    const before = { ...files };
    system.launch(
      PortalsApp("reads", (app) => {
        app.workflows<unknown, unknown>("a").source(app.generators.fromFile(path).stream).identity().sink().freeze();
      }),
    );
    expect(files.opened - before.opened).toBe(1);
    system.stepUntilComplete();
    expect({ opened: files.opened - before.opened, closed: files.closed - before.closed }).toEqual({ opened: 1, closed: 1 });
  });
});
