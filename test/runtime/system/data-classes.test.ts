/**
 * Data classes (`app.dataClass`, docs/snapshots.md "What is data"): an application's state may
 * hold instances of the classes it registers, and a snapshot brings them back as instances of
 * their class; registrations belong to the application, so a system's codec is made of the
 * applications it runs, and two applications cannot give one name to different classes.
 */
import { describe, expect, test } from "vitest";
import { ApplicationBuilder, ApplicationError, EncodeError, PortalsApp, Systems, type Application } from "portals-ts";

class Money {
  constructor(
    readonly cents: bigint,
    readonly currency: string,
  ) {}
  plus(other: Money): Money {
    return new Money(this.cents + other.cents, this.currency);
  }
}

class Unregistered {
  readonly n = 1;
}

const money = { name: "test.Money", type: Money, encode: (m: Money) => [m.cents, m.currency], decode: ([cents, currency]: [bigint, string]) => new Money(cents, currency) };

/** A wallet per user: each atom adds its payments to the user's balance, a Money in per-key state. */
function wallets(register: boolean, name = "wallets"): Application {
  return PortalsApp(name, (app) => {
    if (register) app.dataClass(money);
    const payments = app.generators.fromArrayOfArrays<[string, number]>([[["ann", 150], ["bob", 20]], [["ann", 5]], [["bob", 1]]]);
    app
      .workflows<[string, number], string>("balances")
      .source(payments.stream)
      .key(([user]) => user)
      .map(([, cents], ctx) => {
        const balance = ctx.perKey<Money>("balance", new Money(0n, "EUR"));
        const next = balance.get().plus(new Money(BigInt(cents), "EUR"));
        balance.set(next);
        return `${ctx.key} ${next.cents} ${next.currency} ${next instanceof Money}`;
      })
      .logger()
      .sink()
      .freeze();
  });
}

function lines(run: (log: (line: string) => void) => void): string[] {
  const out: string[] = [];
  run((line) => out.push(line));
  return out;
}

describe("app.dataClass", () => {
  test("a registered class in per-key state survives a snapshot and a restore as an instance of its class", () => {
    const app = wallets(true);
    const expected = lines((log) => {
      const s = Systems.test({ seed: 1, log });
      s.launch(app);
      s.stepUntilComplete();
    });
    const restoredRun = lines((log) => {
      const first = Systems.test({ seed: 1, log });
      first.launch(app);
      while (first.stats.atoms < 2) first.step();
      const bytes = first.snapshot();
      first.shutdown();
      Systems.test({ seed: 1, log }).restore(bytes, [app]).stepUntilComplete();
    });
    expect(expected).toEqual(["ann 150 EUR true", "bob 20 EUR true", "ann 155 EUR true", "bob 21 EUR true"]);
    expect(restoredRun).toEqual(expected);
  });

  test("an application that does not register the class cannot snapshot it, and the error names the path", () => {
    const s = Systems.test({ seed: 1, log: () => {} });
    s.launch(wallets(false));
    s.stepUntilComplete();
    expect(() => s.snapshot()).toThrow(EncodeError);
    expect(() => s.snapshot()).toThrow(
      new EncodeError('snapshot.workflows["/wallets/workflows/balances"].runners[1].perKey.get("balance").get("ann")', "an instance of class Money"),
    );
  });

  test("the classes of one system are not another's: a system without the registering application refuses them", () => {
    const other = Systems.test({ seed: 1, log: () => {} });
    other.launch(wallets(false, "other"));
    other.stepUntilComplete();
    const withClass = Systems.test({ seed: 1, log: () => {} });
    withClass.launch(wallets(true));
    withClass.stepUntilComplete();
    expect(() => withClass.snapshot()).not.toThrow();
    expect(() => other.snapshot()).toThrow(EncodeError);
  });

  test("two applications giving one name to different classes cannot run in one system; the second launch says so", () => {
    const first = wallets(true);
    const second = PortalsApp("second", (app) => {
      app.dataClass({ name: "test.Money", type: Unregistered, encode: () => 1, decode: () => new Unregistered() });
      app.workflows<number, number>("w").source(app.generators.fromArray([1]).stream).sink().freeze();
    });
    const s = Systems.test({ log: () => {} });
    s.launch(first);
    expect(() => s.launch(second)).toThrow(new ApplicationError("/second", ["codec: the type name test.Money is already registered for another class"]));
    expect(s.applications).toEqual(["/wallets"]);
  });

  test("registering checks its arguments and one name per class within an application", () => {
    const app = new ApplicationBuilder("shop");
    expect(() => app.dataClass({ ...money, name: "" })).toThrow('application /shop: dataClass({ name }): the name must be a non-empty string, e.g. "shop.Money"');
    expect(() => app.dataClass({ ...money, type: 3 as never })).toThrow('application /shop: dataClass("test.Money"): type must be the class');
    expect(() => app.dataClass({ ...money, decode: undefined as never })).toThrow('application /shop: dataClass("test.Money"): encode and decode must be functions');
    app.dataClass(money);
    app.dataClass(money);
    expect(() => app.dataClass({ ...money, type: Unregistered as never })).toThrow('application /shop: dataClass("test.Money"): the name is already registered for class Money');
  });
});
