/**
 * The liveness analysis (docs/compiler.md, "Liveness"), on small functions: at each await, which
 * variables are live (kept in the frame) and which are dead but may hold a value (cleared before
 * suspending). Lowering and the serializability check both read these answers.
 */
import * as ts from "typescript";
import { describe, expect, test } from "vitest";
import { Liveness } from "../../../compiler/core/liveness.js";
import { analyzeScopes, type Binding } from "../../../compiler/core/scope.js";

/** The first function declared in `source`, analysed. */
function analyze(source: string) {
  const file = ts.createSourceFile("/f.ts", source, ts.ScriptTarget.ES2022, true);
  const fn = file.statements.find(ts.isFunctionDeclaration)!;
  const scopes = analyzeScopes(ts, fn, -1);
  const liveness = new Liveness(ts, fn, scopes);
  const binding = (slot: string): Binding => scopes.own.find((b) => b.slot === slot)!;
  return { file, scopes, liveness, binding };
}

/** For each await in order: the slots live there (and holding a value), and the dead ones. */
function slotsAtAwaits(source: string): { live: string[]; dead: string[] }[] {
  const { scopes, liveness } = analyze(source);
  return liveness.awaits.map((at) => ({
    live: scopes.own.filter((b) => b.slot !== undefined && liveness.mayHold(b, at) && liveness.isLive(b, at)).map((b) => b.slot!),
    dead: liveness.deadSlots(at),
  }));
}

describe("at each await", () => {
  test("a variable is live when it is used after the await or read by the awaited expression", () => {
    const source = `
      async function f(p, unused) {
        const a = g(p);
        const b = g(a);
        await r(b);
        const c = await r(a);
        return c;
      }`;
    expect(slotsAtAwaits(source)).toEqual([
      { live: ["a", "b"], dead: ["p", "unused"] },
      // c is declared by this statement: it holds nothing until the await returns.
      { live: ["a"], dead: ["p", "unused", "b"] },
    ]);
  });

  test("in a loop around the await, what the next iteration uses is live; the body's own variables are not", () => {
    const source = `
      async function f(xs) {
        let total = 0;
        const label = "x";
        for (const x of xs) {
          const y = x * 2;
          total += await r(y);
          const z = total;
          use(z);
        }
        return label;
      }`;
    // x is declared by the loop head, not anew in the body: it counts as carried over.
    expect(slotsAtAwaits(source)).toEqual([{ live: ["xs", "total", "label", "x", "y"], dead: ["z"] }]);
  });

  test("an outer loop counts as much as the innermost one", () => {
    const source = `
      async function f(xs) {
        const once = g();
        for (const x of xs) {
          use(once);
          for (const y of x) await r(y);
        }
      }`;
    expect(slotsAtAwaits(source)).toEqual([{ live: ["xs", "once", "x", "y"], dead: [] }]);
  });

  test("a let or const declared after the await is declared again before any later use", () => {
    const source = `
      async function f(c) {
        {
          const a = await r();
          use(a);
        }
        await r();
        {
          const a = await r();
          use(a);
        }
        while (c) {
          await r();
          const t = g();
          use(t);
        }
      }`;
    expect(slotsAtAwaits(source)).toEqual([
      { live: ["c"], dead: [] },
      { live: ["c"], dead: ["a"] },
      { live: ["c"], dead: ["a"] },
      { live: ["c"], dead: ["a", "a$1", "t"] },
    ]);
  });

  test("a reference in a nested closure counts where the closure is written", () => {
    const source = `
      async function f() {
        let count = 0;
        const bump = () => count++;
        bump();
        await r();
        const read = () => count;
        return read();
      }`;
    expect(slotsAtAwaits(source)).toEqual([{ live: ["count"], dead: ["bump"] }]);
  });

  test("parameters and vars may hold a value from the start; a var used after the await is live wherever it is declared", () => {
    const source = `
      async function f(a, b) {
        var v = a;
        await r(b);
        if (v) {
          var w = 1;
        }
        return w;
      }`;
    expect(slotsAtAwaits(source)).toEqual([{ live: ["b", "v", "w"], dead: ["a"] }]);
  });

  test("variables of await-free blocks are no frame slots and never reported", () => {
    const source = `
      async function f() {
        if (g()) {
          const local = 1;
          use(local);
        }
        await r();
      }`;
    const { scopes } = analyze(source);
    expect(scopes.own.map((b) => [b.name, b.slot])).toEqual([["local", undefined]]);
    expect(slotsAtAwaits(source)).toEqual([{ live: [], dead: [] }]);
  });
});

describe("crossing: the first await a stored value is kept live across", () => {
  const source = `
    async function f(xs) {
      let h = 1;
      for (const x of xs) {
        use(h);
        await r(x);
      }
      let k = 2;
      await r(k);
      h = () => 0;
      use(h);
    }`;

  test("a value stored before a loop is kept across the loop's await; one stored after every await is not", () => {
    const { file, liveness, binding } = analyze(source);
    const [first, second] = liveness.awaits;
    const value = (text: string): ts.Node => {
      let found: ts.Node | undefined;
      const visit = (n: ts.Node): void => {
        if (ts.isBinaryExpression(n) && n.right.getText(file) === text) found = n.right;
        if (ts.isVariableDeclaration(n) && n.initializer?.getText(file) === text) found = n.initializer;
        ts.forEachChild(n, visit);
      };
      visit(file);
      return found!;
    };
    const h = binding("h");
    expect(liveness.crossing(h, value("1"))).toBe(first);
    expect(liveness.crossing(h, value("() => 0"))).toBe(undefined);
    expect(liveness.crossing(h)).toBe(first);
    // Writes count as references: h is live at the second await although it is assigned before it is read.
    expect(liveness.isLive(h, second!)).toBe(true);
    expect(liveness.crossing(binding("k"))).toBe(second);
    expect(liveness.crossing(binding("x"))).toBe(first);
  });

  test("reaches: stored before the await, or in a loop with it", () => {
    const { liveness } = analyze(source);
    const [first, second] = liveness.awaits;
    expect(liveness.reaches(first!, second!)).toBe(true);
    expect(liveness.reaches(second!, first!)).toBe(false);
    expect(liveness.reaches(second!, second!)).toBe(false);
    // In a loop, a node reaches itself: the next iteration.
    expect(liveness.reaches(first!, first!)).toBe(true);
    const body = first!.parent.parent;
    expect(ts.isBlock(body)).toBe(true);
    expect(liveness.reaches(body, first!)).toBe(true);
  });
});
