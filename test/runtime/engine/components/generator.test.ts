/**
 * Generators (`app.generators`, runtime/engine/components/generator.ts and sources.ts): which atoms each one
 * produces, how sources fail, and how their arguments are checked. A workflow logs every event
 * and `|` at each atom boundary, so the expected lines show the atoms.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { ApplicationBuilder, OperatorError, PortalsApp, Systems, type GeneratorRef, type LogMeta } from "portals-ts";

const dir = mkdtempSync(join(tmpdir(), "portals-generators-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  /** Info lines: events, `|` per atom, `error <message>` per failed atom, `end` at the seal. */
  readonly lines: string[];
  /** Error-level reports with their meta. */
  readonly errors: { line: string; meta: LogMeta }[];
}

/** Launches a workflow over the generator `make` returns that logs what it sees. */
function app(make: (app: ApplicationBuilder) => GeneratorRef<unknown>): { system: ReturnType<typeof Systems.test>; result: Run } {
  const result: Run = { lines: [], errors: [] };
  const system = Systems.test({
    seed: 1,
    log: (line, meta) => (meta.level === "info" ? result.lines.push(line) : meta.level === "error" && result.errors.push({ line, meta })),
  });
  system.launch(
    PortalsApp("gen", (a) => {
      a.workflows<unknown, unknown>("w")
        .source(make(a).stream)
        .logger()
        .withOnError((e, ctx) => ctx.log.info(`error ${e.message}`))
        .withOnAtomComplete((ctx) => ctx.log.info("|"))
        .withOnComplete((ctx) => ctx.log.info("end"))
        .sink()
        .freeze();
    }),
  );
  return { system, result };
}

/** Runs to completion with sync steps. */
function run(make: (app: ApplicationBuilder) => GeneratorRef<unknown>): Run {
  const { system, result } = app(make);
  system.stepUntilComplete();
  return result;
}

describe("array, range, signal and empty generators", () => {
  test("fromArray: all values in one atom", () => {
    expect(run((a) => a.generators.fromArray(["a", "b", "c"])).lines).toEqual(["a", "b", "c", "|", "end"]);
  });

  test("fromArray([]) and empty(): one empty atom, so the boundary hooks still run once", () => {
    expect(run((a) => a.generators.fromArray([])).lines).toEqual(["|", "end"]);
    expect(run((a) => a.generators.empty()).lines).toEqual(["|", "end"]);
  });

  test("fromArrayOfArrays: one atom per inner array, empty ones included", () => {
    expect(run((a) => a.generators.fromArrayOfArrays([[1, 2], [], [3]])).lines).toEqual(["1", "2", "|", "|", "3", "|", "end"]);
  });

  test("fromRange: atoms of step, the last one shorter", () => {
    expect(run((a) => a.generators.fromRange(0, 10, 4)).lines).toEqual(["0", "1", "2", "3", "|", "4", "5", "6", "7", "|", "8", "9", "|", "end"]);
  });

  test("fromRange with an empty range: only the end", () => {
    expect(run((a) => a.generators.fromRange(5, 5, 3)).lines).toEqual(["end"]);
  });

  test("signal: one atom with one event", () => {
    expect(run((a) => a.generators.signal({ go: true })).lines).toEqual(['{"go":true}', "|", "end"]);
  });

  test("every generator event has key 0, and the generator's path follows its name", () => {
    const keys: unknown[] = [];
    const system = Systems.test({ log: () => {} });
    const built = PortalsApp("keys", (a) => {
      const g = a.generators.fromArray([1, 2], { name: "numbers" });
      expect(g.path).toBe("/keys/generators/numbers");
      expect(g.stream.path).toBe("/keys/generators/numbers/stream");
      a.workflows<number, number>("w").source(g.stream).map((x, ctx) => (keys.push(ctx.key), x)).sink().freeze();
    });
    system.launch(built);
    system.stepUntilComplete();
    expect(keys).toEqual([0, 0]);
  });
});

describe("fromIterable", () => {
  test("atoms of atomSize, the last one shorter; the iterable is read lazily, one atom per step", () => {
    const pulled: number[] = [];
    function* numbers(): Generator<number> {
      for (let i = 1; i <= 5; i++) {
        pulled.push(i);
        yield i;
      }
    }
    const { system, result } = app((a) => a.generators.fromIterable(numbers(), { atomSize: 2 }));
    expect(pulled).toEqual([]);
    system.step(); // the generator emits its first atom
    expect(pulled).toEqual([1, 2]);
    system.stepUntilComplete();
    expect(result.lines).toEqual(["1", "2", "|", "3", "4", "|", "5", "|", "end"]);
  });

  test("without atomSize every element is its own atom; any iterable works (a Set)", () => {
    expect(run((a) => a.generators.fromIterable(new Set(["x", "y"]))).lines).toEqual(["x", "|", "y", "|", "end"]);
  });

  test("an iterator that throws fails the atom it was filling, reported as the source's error, and ends the stream", () => {
    function* failing(): Generator<number> {
      yield 1;
      yield 2;
      yield 3;
      throw new Error("disk gone");
    }
    const result = run((a) => a.generators.fromIterable(failing(), { atomSize: 2, name: "numbers" }));
    expect(result.lines).toEqual([
      "1",
      "2",
      "|",
      "3",
      "error workflow /gen/generators/numbers, task source, key 0: disk gone",
      "|",
      "end",
    ]);
    expect(result.errors).toEqual([
      {
        line: "workflow /gen/generators/numbers, task source, key 0: disk gone",
        meta: { level: "error", workflow: "/gen/generators/numbers", task: "source", key: 0, error: expect.any(OperatorError) },
      },
    ]);
    expect((result.errors[0]!.meta.error!.cause as Error).message).toBe("disk gone");
  });
});

describe("fromAsyncIterable", () => {
  async function* slow(n: number): AsyncGenerator<number> {
    for (let i = 1; i <= n; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      yield i;
    }
  }

  test("with await system.stepUntilCompleteAsync(): atoms of atomSize, in order", async () => {
    const { system, result } = app((a) => a.generators.fromAsyncIterable(slow(5), { atomSize: 2 }));
    const steps = await system.stepUntilCompleteAsync();
    expect(result.lines).toEqual(["1", "2", "|", "3", "4", "|", "5", "|", "end"]);
    expect(steps).toBe(8); // 4 generator steps (3 atoms and the seal), 4 workflow steps
    expect(system.canStep()).toBe(false);
  });

  test("the same steps as with the data already there: an async source gives the same run as a sync one", async () => {
    const race = (a: ApplicationBuilder, g: GeneratorRef<string>): void => {
      const seq = a.sequencers.random<string>();
      a.connections.connect(g.stream, seq);
      a.connections.connect(a.generators.fromArrayOfArrays([["x1"], ["x2"], ["x3"]]).stream, seq);
      a.workflows<string, string>("w").source(seq.stream).logger().sink().freeze();
    };
    const lines = async (source: (a: ApplicationBuilder) => GeneratorRef<string>): Promise<string[]> => {
      const out: string[] = [];
      const system = Systems.test({ seed: 7, log: (line) => void out.push(line) });
      system.launch(PortalsApp("race", (a) => race(a, source(a))));
      await system.stepUntilCompleteAsync();
      return out;
    };
    async function* letters(): AsyncGenerator<string> {
      for (const s of ["a1", "a2", "a3"]) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        yield s;
      }
    }
    const fromAsync = await lines((a) => a.generators.fromAsyncIterable(letters()));
    const fromSync = await lines((a) => a.generators.fromIterable(["a1", "a2", "a3"]));
    expect(fromAsync).toEqual(fromSync);
    expect([...fromAsync].sort()).toEqual(["a1", "a2", "a3", "x1", "x2", "x3"]);
  });

  test("sync stepping refuses to wait, with the fix", () => {
    const { system } = app((a) => a.generators.fromAsyncIterable(slow(1), { name: "feed" }));
    const message = "step(): generator /gen/generators/feed waits for its async iterable; run the system with await system.stepUntilCompleteAsync()";
    expect(() => system.step()).toThrow(new Error(message));
    expect(() => system.stepUntilComplete()).toThrow(new Error(message));
  });

  test("an async iterator that rejects fails the atom and ends the stream", async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error("socket closed");
    }
    const { system, result } = app((a) => a.generators.fromAsyncIterable(failing(), { atomSize: 3, name: "feed" }));
    await system.stepUntilCompleteAsync();
    expect(result.lines).toEqual(["1", "error workflow /gen/generators/feed, task source, key 0: socket closed", "|", "end"]);
  });
});

describe("fromFile over JSON lines", () => {
  let files = 0;
  function file(content: string): string {
    const path = join(dir, `data-${++files}.jsonl`);
    writeFileSync(path, content);
    return path;
  }

  /** The message JSON.parse gives for `text` (it differs between Node versions). */
  function parseError(text: string): string {
    try {
      JSON.parse(text);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error(`${text} is valid JSON`);
  }

  test("one JSON value per line, in atoms of atomSize; the last line may lack its newline", () => {
    const path = file('{"id":1}\n"two"\n3\n[4]\nnull');
    expect(run((a) => a.generators.fromFile(path, { atomSize: 2 })).lines).toEqual(['{"id":1}', "two", "|", "3", "[4]", "|", "null", "|", "end"]);
  });

  test("blank lines are skipped and do not count toward the atom size", () => {
    const path = file("1\n\n   \n2\n\n3\n\n");
    expect(run((a) => a.generators.fromFile(path, { atomSize: 2 })).lines).toEqual(["1", "2", "|", "3", "|", "end"]);
  });

  test("CRLF line ends", () => {
    const path = file('"a"\r\n"b"\r\n\r\n"c"\r\n');
    expect(run((a) => a.generators.fromFile(path, { atomSize: 2 })).lines).toEqual(["a", "b", "|", "c", "|", "end"]);
  });

  test("a bad line fails its atom with file:line in the error; its atom keeps its good lines and other atoms go on", () => {
    const path = file('1\n2\n\nnot json\n4\n5\n{"x":\n');
    const result = run((a) => a.generators.fromFile(path, { atomSize: 2, name: "lines" }));
    const first = `workflow /gen/generators/lines, task source, key 0: ${path}:4: ${parseError("not json")}`;
    const second = `workflow /gen/generators/lines, task source, key 0: ${path}:7: ${parseError('{"x":')}`;
    // A bad line holds no value, so it does not count toward the atom size: its atom is [4, 5].
    // The last bad line fails an atom of its own, which has no events but still reaches onError.
    expect(result.lines).toEqual(["1", "2", "|", "4", "5", `error ${first}`, "|", `error ${second}`, "|", "end"]);
    expect(result.errors.map((e) => e.line)).toEqual([first, second]);
    expect(result.errors[0]!.meta).toEqual({ level: "error", workflow: "/gen/generators/lines", task: "source", key: 0, error: expect.any(OperatorError) });
    expect(result.errors[0]!.meta.error!.message).toBe(first);
  });

  test("lines longer than the read chunk and multi-byte characters across chunk boundaries", () => {
    const values = Array.from({ length: 3000 }, (_, i) => ({ i, text: "é€😀".repeat(i % 50) }));
    const path = file(values.map((v) => JSON.stringify(v)).join("\n") + "\n");
    const long = "x".repeat(200_000);
    const bigPath = file(`${JSON.stringify(long)}\n1\n`);
    const seen: unknown[] = [];
    const system = Systems.test({ log: () => {} });
    system.launch(
      PortalsApp("big", (a) => {
        a.workflows<unknown, unknown>("w").source(a.generators.fromFile(path, { atomSize: 1000 }).stream).map((x) => seen.push(x)).sink().freeze();
        a.workflows<unknown, unknown>("v").source(a.generators.fromFile(bigPath).stream).map((x) => seen.push(x)).sink().freeze();
      }),
    );
    system.stepUntilComplete();
    expect(seen.filter((x) => typeof x === "object")).toEqual(values);
    expect(seen.filter((x) => typeof x !== "object")).toEqual([long, 1]);
  });

  test("an empty file gives only the end", () => {
    expect(run((a) => a.generators.fromFile(file(""))).lines).toEqual(["end"]);
  });
});

describe("argument validation", () => {
  const b = (): ApplicationBuilder => new ApplicationBuilder("args");

  test("fromRange", () => {
    expect(() => b().generators.fromRange(0, 10, 0)).toThrow(new RangeError("fromRange(0, 10, 0): step (the atom size) must be a positive integer"));
    expect(() => b().generators.fromRange(0, 10, 1.5)).toThrow(new RangeError("fromRange(0, 10, 1.5): step (the atom size) must be a positive integer"));
    expect(() => b().generators.fromRange(5, 1, 1)).toThrow(new RangeError("fromRange(5, 1, 1): start and end must be integers with start <= end"));
    expect(() => b().generators.fromRange(0.5, 1, 1)).toThrow(new RangeError("fromRange(0.5, 1, 1): start and end must be integers with start <= end"));
  });

  test("arrays", () => {
    expect(() => b().generators.fromArray("abc" as never)).toThrow(new TypeError("fromArray: expected an array, got string"));
    expect(() => b().generators.fromArrayOfArrays([[1], 2] as never)).toThrow(new TypeError("fromArrayOfArrays: each atom: expected an array, got number"));
    expect(() => b().generators.fromArrayOfArrays(null as never)).toThrow(new TypeError("fromArrayOfArrays: expected an array, got object"));
  });

  test("iterables, files and atom sizes", () => {
    expect(() => b().generators.fromIterable(42 as never)).toThrow(new TypeError("fromIterable(iterable): the argument is not iterable"));
    expect(() => b().generators.fromAsyncIterable([1] as never)).toThrow(new TypeError("fromAsyncIterable(iterable): the argument is not async iterable"));
    expect(() => b().generators.fromFile("")).toThrow(new TypeError("fromFile(file): the file path must be a non-empty string"));
    expect(() => b().generators.fromIterable([1], { atomSize: 0 })).toThrow(new RangeError("fromIterable: atomSize must be a positive integer, got 0"));
    expect(() => b().generators.fromAsyncIterable((async function* () {})(), { atomSize: 2.5 })).toThrow(
      new RangeError("fromAsyncIterable: atomSize must be a positive integer, got 2.5"),
    );
    expect(() => b().generators.fromFile("x.jsonl", { atomSize: -1 })).toThrow(new RangeError("fromFile: atomSize must be a positive integer, got -1"));
  });

  test("generator names", () => {
    expect(() => b().generators.signal(1, { name: "a/b" })).toThrow(new TypeError('name "a/b" is invalid: use letters, digits, "_", "-", "." or "$" (not "." or ".." alone)'));
    expect(() => b().generators.empty({ name: "" })).toThrow(new TypeError('name "" is invalid: use letters, digits, "_", "-", "." or "$" (not "." or ".." alone)'));
  });
});
