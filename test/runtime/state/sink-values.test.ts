/**
 * What transactional sinks take (runtime/state/sinks.ts, json-lines.ts): a file sink writes an
 * event only when JSON holds it as it is, and refuses any other when it is staged, naming the
 * sink, the workflow and the path to the value; the event fails at the sink (docs/semantics.md,
 * rule 10) and the run goes on. A memory sink takes anything, in any amount.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { OperatorError, PortalsApp, Sinks, Systems, type DeadLetter, type LogMeta, type Sink } from "portals-ts";
import { jsonProblem } from "../../../runtime/state/json-lines.js";

const dir = mkdtempSync(join(tmpdir(), "portals-sink-values-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `events` (one atom) into `sink`; returns the error lines and the dead letters. */
function run<T>(events: readonly T[], sink: Sink<T>): { errors: { line: string; meta: LogMeta }[]; dead: DeadLetter[] } {
  const errors: { line: string; meta: LogMeta }[] = [];
  const dead: DeadLetter[] = [];
  const system = Systems.test({ log: (line, meta) => void (meta.level === "error" && errors.push({ line, meta })) });
  system.launch(
    PortalsApp("out", (app) => {
      const w = app.workflows<T, T>("w");
      const failed = w.deadLetters();
      w.source(app.generators.fromArray(events).stream).identity().sink(sink).freeze();
      app.workflows<DeadLetter, never>("dead").source(failed).processor((d) => void dead.push(d)).sink().freeze();
    }),
  );
  system.stepUntilComplete();
  return { errors, dead };
}

describe("Sinks.file", () => {
  test("a BigInt event is refused at stage time with the sink, the workflow and the path; the other events are written", () => {
    const path = join(dir, "orders.jsonl");
    const { errors, dead } = run<unknown>([{ id: 1 }, { id: 2, total: 10n }, { id: 3 }], Sinks.file(path));
    expect(readFileSync(path, "utf8")).toBe('{"id":1}\n{"id":3}\n');
    const message = `workflow /out/workflows/w, task sink, key 0: file ${path} cannot hold the event: event.total is a bigint (JSON has no bigint; convert it, e.g. with String(x)); map the event to plain data before the sink, or give Sinks.file a format function`;
    expect(errors.map((e) => e.line)).toEqual([message]);
    expect(errors[0]!.meta.error).toBeInstanceOf(OperatorError);
    expect(dead).toEqual([{ event: { id: 2, total: 10n }, error: errors[0]!.meta.error }]);
  });

  test("every value JSON would write wrong is refused with its path", () => {
    class Money {
      constructor(readonly cents: number) {}
    }
    const cases: [unknown, string | undefined][] = [
      [{ a: [1, "x", null, true, { b: -0 }], c: undefined }, undefined],
      [new Date(0), undefined],
      [{ at: new Date(0), money: { toJSON: () => ({ cents: 5 }) } }, undefined],
      [[1, Number.NaN], "event[1] is NaN (JSON writes it as null)"],
      [{ x: Infinity }, "event.x is Infinity (JSON writes it as null)"],
      [[undefined], "event[0] is undefined (JSON writes it as null, or not at all)"],
      [undefined, "event is undefined (JSON writes it as null, or not at all)"],
      [{ m: new Map([[1, 2]]) }, "event.m is an instance of Map (JSON writes only plain objects and arrays; map it to plain data, or give the class a toJSON method)"],
      [{ s: new Set() }, "event.s is an instance of Set (JSON writes only plain objects and arrays; map it to plain data, or give the class a toJSON method)"],
      [{ "odd key": new Money(1) }, 'event["odd key"] is an instance of Money (JSON writes only plain objects and arrays; map it to plain data, or give the class a toJSON method)'],
      [{ e: new Error("x") }, "event.e is an instance of Error (JSON writes only plain objects and arrays; map it to plain data, or give the class a toJSON method)"],
      [{ f: () => 1 }, "event.f is a function (JSON leaves it out)"],
      [[1, , 3], "event[1] is an empty slot of a sparse array (JSON writes it as null)"],
      [Object.assign([1], { note: "x" }), "event.note is a property of an array (JSON writes only its elements)"],
      [{ bytes: new Uint8Array(2) }, "event.bytes is an instance of Uint8Array (JSON writes only plain objects and arrays; map it to plain data, or give the class a toJSON method)"],
    ];
    for (const [event, problem] of cases) {
      const found = jsonProblem(event);
      expect(found === undefined ? undefined : `${found.path} is ${found.found}`, JSON.stringify(String(event))).toBe(problem);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(jsonProblem(cyclic)).toEqual({ path: "event.self", found: "a cycle (the value contains itself, which JSON cannot write)" });
    const shared = { n: 1 };
    expect(jsonProblem({ a: shared, b: shared })).toBeUndefined();
    let deep: unknown = 1;
    for (let i = 0; i < 5_000; i++) deep = { v: deep };
    expect(jsonProblem(deep)?.found).toBe("a value nested more than 1000 levels deep");
  });

  test("with a format function, lines are what it returns; a line break, a throw or a non-string is refused", () => {
    const path = join(dir, "formatted.jsonl");
    const format = (e: { id: number; total: bigint }): string => {
      if (e.id === 2) return "two\nlines";
      if (e.id === 3) throw new Error("cannot format 3");
      return `${e.id};${e.total}`;
    };
    const { errors } = run([{ id: 1, total: 10n }, { id: 2, total: 0n }, { id: 3, total: 0n }, { id: 4, total: 2n ** 70n }], Sinks.file(path, { format }));
    expect(readFileSync(path, "utf8")).toBe(`1;10\n4;${2n ** 70n}\n`);
    expect(errors.map((e) => e.line.replace(/^.*cannot hold the event: /, ""))).toEqual([
      "its format function returned a line break; a line holds one event",
      "its format function threw: cannot format 3",
    ]);
    expect(() => Sinks.file(path, { format: "json" as never })).toThrow(
      new TypeError(`Sinks.file(${JSON.stringify(path)}, { format }): format must be a function (event) => string`),
    );
  });
});

describe("Sinks.memory", () => {
  test("takes any value, and any number of events staged before a commit", () => {
    const sink = Sinks.memory<unknown>();
    const many = Array.from({ length: 300_000 }, (_, i) => i);
    const { errors } = run([10n, new Map([[1, 2]]), ...many], sink);
    expect(errors).toEqual([]);
    expect(sink.committed.length).toBe(300_002);
    expect(sink.committed.slice(0, 3)).toEqual([10n, new Map([[1, 2]]), 0]);
  });
});
