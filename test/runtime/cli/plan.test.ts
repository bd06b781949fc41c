/**
 * `portals plan`: the short view of what applications are made of (parts, portals with who
 * serves and who asks, registry links), the expanded plan (`--expanded`), and both as Graphviz
 * DOT and Mermaid (`--format`).
 */
import { describe, expect, test, vi } from "vitest";
import bankSaga from "../../../examples/bank-saga/app.js";
import helloWorld from "../../../examples/hello-world/app.js";
import pingPong from "../../../examples/ping-pong/app.js";
import shoppingCart from "../../../examples/shopping-cart/app.js";
import { renderPlan } from "../../../runtime/cli/plan.js";
import { portals } from "./portals.js";

vi.setConfig({ testTimeout: 60_000 });

describe("the short view (default)", () => {
  test("bank-saga: 5 workflows and 2 portals in 11 lines, no internal plumbing", () => {
    expect(renderPlan([bankSaga]).split("\n")).toEqual([
      "application /bank",
      "  generator ledger (atoms)",
      "  generator idle (atoms)",
      "  splitter byKind <- generator ledger: splits openings, orders, statementOrders",
      "  workflow limits <- generator idle: replier#1",
      "  workflow accounts <- split openings: key#1, askerReplier#2",
      "  workflow transfers <- split orders: key#1, asker#2",
      "  workflow report <- workflow transfers: map#1, logger#2",
      "  workflow statements <- split statementOrders: key#1, asker#2",
      "  portal accounts (keyed): served by workflow accounts; asked by workflows transfers, statements",
      "  portal limits (keyed): served by workflow limits; asked by workflow accounts",
    ]);
    // The expanded plan of the same application, for comparison.
    expect(bankSaga.explain().split("\n").filter((l) => l.includes("[internal]"))).toHaveLength(20);
  });

  test("shopping-cart: four applications linked through the registry, portals asked across them", () => {
    expect(renderPlan(shoppingCart)).toBe(
      [
        "application /inventory",
        "  generator restocks (file)",
        "  sequencer supplies <- generator restocks",
        "  workflow inventory <- sequencer supplies: key#1, replier#2",
        "  portal inventory (keyed): served by workflow inventory; asked by workflow /cart/workflows/cart",
        "application /cart",
        "  generator ops (file)",
        "  workflow cart <- generator ops: key#1, askerReplier#2",
        "  portal carts (keyed): served by workflow cart; asked by none",
        "  portal /inventory/portals/inventory: served by workflow /inventory/workflows/inventory; asked by workflow cart",
        "application /orders",
        "  workflow orders <- workflow /cart/workflows/cart: key#1, map#2 -> transactional sink",
        "  from the registry: stream /cart/workflows/cart/stream",
        "application /analytics",
        "  workflow analytics <- workflow /orders/workflows/orders: replier#1",
        "  portal top: served by workflow analytics; asked by none",
        "  from the registry: stream /orders/workflows/orders/stream",
      ].join("\n"),
    );
  });
});

describe("graphs", () => {
  test("hello-world as Graphviz DOT", () => {
    expect(renderPlan([helloWorld], { format: "dot" })).toBe(
      [
        "digraph portals {",
        "  rankdir=LR;",
        "  node [fontname=Helvetica];",
        '  subgraph "cluster_/hello-world" {',
        '    label="/hello-world";',
        '    "/hello-world/generators/greeting" [label="generator greeting (atoms)", shape=ellipse];',
        '    "/hello-world/workflows/hello" [label="workflow hello: logger#1", shape=box];',
        "  }",
        '  "/hello-world/generators/greeting" -> "/hello-world/workflows/hello";',
        "}",
      ].join("\n"),
    );
  });

  test("ping-pong as Mermaid: requests go from the asker to the portal, which the replier serves", () => {
    expect(renderPlan([pingPong], { format: "mermaid" })).toBe(
      [
        "flowchart LR",
        '  subgraph a0["/ping-pong"]',
        '    n0(["generator start (atoms)"])',
        '    n1(["generator idle (atoms)"])',
        '    n2["workflow ping: askerReplier#1"]',
        '    n3["workflow pong: askerReplier#1"]',
        '    n4{{"portal ping"}}',
        '    n5{{"portal pong"}}',
        "  end",
        "  n0 --> n2",
        "  n1 --> n3",
        "  n3 -. asks .-> n4",
        "  n4 -. served by .-> n2",
        "  n2 -. asks .-> n5",
        "  n5 -. served by .-> n3",
      ].join("\n"),
    );
  });

  test("the expanded plan as DOT has every component of the plan, internal ones dashed", () => {
    const dot = renderPlan([pingPong], { format: "dot", expanded: true });
    const plan = pingPong.plan;
    const components = [...plan.generators, ...plan.sequencers, ...plan.splitters, ...plan.splits, ...plan.workflows];
    const nodes = dot.split("\n").filter((l) => / \[label=/.test(l) && !l.includes(" -> "));
    expect(nodes).toHaveLength(components.length);
    expect(nodes.filter((l) => l.includes("style=dashed"))).toHaveLength(components.filter((c) => c.internal).length);
    expect(dot).toContain('"/ping-pong/workflows/ping/portal-router" -> "/ping-pong/workflows/ping/portal-router/requests/ping-pong/portals/pong" [style=dashed];');
  });
});

describe.concurrent("portals plan", () => {
  test("prints the short view by default", async () => {
    expect(await portals("plan", "examples/bank-saga/app.ts")).toEqual({ code: 0, stdout: renderPlan([bankSaga]) + "\n", stderr: "" });
  });

  test("--expanded (and its alias --lowered) prints app.explain()", async () => {
    expect(await portals("plan", "examples/ping-pong/app.ts", "--expanded")).toEqual({ code: 0, stdout: pingPong.explain() + "\n", stderr: "" });
    expect(await portals("plan", "examples/ping-pong/app.ts", "--lowered")).toEqual({ code: 0, stdout: pingPong.explain() + "\n", stderr: "" });
  });

  test("--format mermaid draws it", async () => {
    expect(await portals("plan", "examples/ping-pong/app.ts", "--format", "mermaid")).toEqual({
      code: 0,
      stdout: renderPlan([pingPong], { format: "mermaid" }) + "\n",
      stderr: "",
    });
  });

  test("an unknown --format: one line, exit 2", async () => {
    expect(await portals("plan", "examples/ping-pong/app.ts", "--format", "svg")).toEqual({
      code: 2,
      stdout: "",
      stderr: "portals: error: option '--format <format>' argument 'svg' is invalid. Allowed choices are text, dot, mermaid.\n",
    });
  });
});
