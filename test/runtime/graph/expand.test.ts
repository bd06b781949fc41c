/**
 * Portal expansion (runtime/graph/expand.ts): a portal becomes a request sequencer and a reply
 * splitter, each workflow that asks or serves portals gets a portal-in sequencer, a portal-out
 * stream and a router splitter, and everything is named from paths alone, so an application
 * that asks a portal of another one only records what it needs from it.
 */
import { describe, expect, test } from "vitest";
import { PortalsApp } from "portals-ts";
import type { RequestMessage, ReplyMessage } from "../../../runtime/core/messages.js";
import type { Plan } from "../../../runtime/graph/plan.js";

function shop() {
  return PortalsApp("shop", (app) => {
    const inventory = app.portal<string, number>("inventory", { key: (item) => item });
    const ops = app.generators.fromArray<string>(["apple"], { name: "ops" });
    app
      .workflows<string, never>("inventory")
      .source(ops.stream)
      .identity()
      .replier(inventory, () => {}, (_item, ctx) => ctx.reply(1))
      .sink()
      .freeze();
    app.workflows<string, string>("cart").source(ops.stream).asker(inventory, (x, ctx) => ctx.emit(x)).sink().freeze();
  });
}

const request = (portal: string, asker: string): RequestMessage => ({ type: "request", portal, asker, askerTask: "$1", askerKey: 0, id: 1, payload: null });
const reply = (portal: string, asker: string): ReplyMessage => ({ type: "reply", portal, asker, askerTask: "$1", askerKey: 0, id: 1, ok: true, value: 1 });

/** What each internal split selects, as `split: kind portal asker` for the messages it accepts. */
function routing(plan: Plan): Record<string, string[]> {
  const probes = [
    request("/shop/portals/inventory", "/shop/workflows/cart"),
    reply("/shop/portals/inventory", "/shop/workflows/cart"),
    reply("/shop/portals/inventory", "/other/workflows/w"),
    request("/shop/portals/other", "/shop/workflows/cart"),
  ];
  const out: Record<string, string[]> = {};
  for (const s of plan.splits) out[s.path] = probes.filter((m) => s.predicate(m)).map((m) => `${m.type} ${m.portal} ${m.asker}`);
  return out;
}

describe("expandPortals", () => {
  const plan = shop().plan;

  test("the portal becomes a request sequencer and a reply splitter over its server's router", () => {
    expect(plan.sequencers.filter((s) => s.path.startsWith("/shop/portals/"))).toEqual([
      { path: "/shop/portals/inventory/requests", stream: "/shop/portals/inventory/requests/stream", internal: true },
    ]);
    expect(plan.splitters.find((s) => s.path === "/shop/portals/inventory/replies")).toEqual({
      path: "/shop/portals/inventory/replies",
      source: "/shop/workflows/inventory/portal-router/replies/shop/portals/inventory/stream",
      internal: true,
    });
  });

  test("each portal workflow reads a portal-in sequencer whose primary input is its own source", () => {
    for (const w of ["inventory", "cart"]) {
      const path = `/shop/workflows/${w}`;
      expect(plan.sequencers.find((s) => s.path === `${path}/portal-in`)).toEqual({
        path: `${path}/portal-in`,
        stream: `${path}/portal-in/stream`,
        internal: true,
        primary: "/shop/generators/ops/stream",
      });
      const workflow = plan.workflows.find((x) => x.path === path)!;
      expect(workflow.source).toBe(`${path}/portal-in/stream`);
      expect(workflow.portals?.out).toBe(`${path}/portal-out`);
    }
  });

  test("connections carry requests from the asker to the portal and replies back, marked as portal traffic", () => {
    expect(plan.connections.map((c) => `${c.stream} -> ${c.sequencer}${c.portal ? " (portal)" : ""}`)).toEqual([
      "/shop/generators/ops/stream -> /shop/workflows/inventory/portal-in",
      "/shop/portals/inventory/requests/stream -> /shop/workflows/inventory/portal-in (portal)",
      "/shop/generators/ops/stream -> /shop/workflows/cart/portal-in",
      "/shop/workflows/cart/portal-router/requests/shop/portals/inventory/stream -> /shop/portals/inventory/requests (portal)",
      "/shop/workflows/cart/replies/shop/portals/inventory/stream -> /shop/workflows/cart/portal-in (portal)",
    ]);
  });

  test("the router splits select requests by portal and replies by portal and asking workflow", () => {
    expect(routing(plan)).toEqual({
      "/shop/workflows/inventory/portal-router/replies/shop/portals/inventory": [
        "reply /shop/portals/inventory /shop/workflows/cart",
        "reply /shop/portals/inventory /other/workflows/w",
      ],
      "/shop/workflows/cart/portal-router/requests/shop/portals/inventory": ["request /shop/portals/inventory /shop/workflows/cart"],
      "/shop/workflows/cart/replies/shop/portals/inventory": ["reply /shop/portals/inventory /shop/workflows/cart"],
    });
  });

  test("the serving workflow knows which task serves the portal and its routing key", () => {
    const inventory = plan.workflows.find((w) => w.path === "/shop/workflows/inventory")!;
    const served = inventory.portals!.serves.get("/shop/portals/inventory")!;
    expect(served.task).toBe(1);
    expect(served.key!("pear")).toBe("pear");
    expect(plan.workflows.find((w) => w.path === "/shop/workflows/cart")!.portals!.serves.size).toBe(0);
  });

  test("an application asking another's portal records the request sequencer and reply splitter it needs", () => {
    const client = PortalsApp("client", (app) => {
      const inventory = app.registry.portals.get<string, number>("/shop/portals/inventory");
      app.workflows<string, string>("ask").source(app.generators.fromArray<string>(["x"]).stream).asker(inventory, (x, ctx) => ctx.emit(x)).sink().freeze();
    });
    expect(client.plan.requires).toEqual([
      { path: "/shop/portals/inventory/requests", kind: "sequencer", neededBy: "/client/workflows/ask", what: "portal /shop/portals/inventory" },
      { path: "/shop/portals/inventory/replies", kind: "splitter", neededBy: "/client/workflows/ask", what: "portal /shop/portals/inventory" },
    ]);
    expect(shop().plan.requires).toEqual([]);
  });

  test("a workflow without portals is kept as it is", () => {
    const plain = PortalsApp("plain", (app) => {
      app.workflows<number, number>("w").source(app.generators.fromArray([1], { name: "g" }).stream).map((x) => x + 1).sink().freeze();
    }).plan;
    expect(plain.sequencers).toEqual([]);
    expect(plain.workflows.map((w) => [w.source, w.portals])).toEqual([["/plain/generators/g/stream", undefined]]);
  });
});
