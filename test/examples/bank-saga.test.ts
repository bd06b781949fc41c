/**
 * The bank-account saga (examples/bank-saga): transfers run as sagas over the `accounts` portal,
 * with a debit that awaits the `limits` portal before it replies. The example runs in the real
 * engine (Systems.test through runExample), compiled by the portals plugin this suite runs
 * through. A collector application reads the outcomes from the `transfers` stream, and an audit
 * application launched after the run asks the `accounts` portal for every account's balance and
 * lock holder, so the invariants are checked through the public API only.
 */
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { PortalsApp } from "portals-ts";
import bank, {
  ACCOUNTS,
  LEDGER,
  OPENINGS,
  TRANSFER_BATCHES,
  describeOutcome,
  serveAccount,
  type AccountReply,
  type AccountRequest,
  type TransferOutcome,
} from "../../examples/bank-saga/app.js";
import { runExample } from "./run-example.js";

const OUTCOME = "outcome ";
const AUDIT = "audit ";

/** Reads the bank's outcomes from its `transfers` stream and logs each as `outcome <json>`. */
const collector = PortalsApp("collector", (app) => {
  app
    .workflows<TransferOutcome, TransferOutcome>("outcomes")
    .source(app.registry.streams.get<TransferOutcome>("/bank/workflows/transfers/stream"))
    .logger(OUTCOME)
    .sink()
    .freeze();
});

/** Asks the bank's `accounts` portal for the state of `accounts` and logs each reply as `audit <json>`. */
function auditApp(accounts: readonly string[]) {
  return PortalsApp("audit", (app) => {
    const portal = app.registry.portals.get<AccountRequest, AccountReply>("/bank/portals/accounts");
    app
      .workflows<string, AccountReply>("audit")
      .source(app.generators.fromArray(accounts, { name: "accountIds" }).stream)
      .key((account) => account)
      .asker<AccountReply>(portal, async (account, ctx) => {
        ctx.emit(await portal.request({ kind: "balance", account }));
      })
      .logger(AUDIT)
      .sink()
      .freeze();
  });
}

/** What a run of the bank produced, seen from outside. */
interface BankRun {
  /** The bank's own log lines (outcome report and statements), in order. */
  readonly lines: string[];
  /** Warnings and errors of the whole run. */
  readonly problems: string[];
  /** The outcomes, in the order the `transfers` workflow emitted them. */
  readonly outcomes: TransferOutcome[];
  /** The portal's replies to `balance` for every account, asked after the run completed. */
  readonly audit: AccountReply[];
}

/** Runs the bank with the collector, then launches the audit and runs it to completion. */
function runBank(seed: number, audited: readonly string[] = ACCOUNTS): BankRun {
  const { lines, problems, system } = runExample([bank, collector], seed);
  const bankLines = lines.filter((l) => !l.startsWith(OUTCOME));
  const outcomes = lines.filter((l) => l.startsWith(OUTCOME)).map((l) => JSON.parse(l.slice(OUTCOME.length)) as TransferOutcome);
  const before = lines.length;
  system.launch(auditApp(audited));
  system.stepUntilComplete(100_000);
  expect(system.canStep()).toBe(false);
  const audit = lines.slice(before).map((l) => {
    expect(l.startsWith(AUDIT)).toBe(true);
    return JSON.parse(l.slice(AUDIT.length)) as AccountReply;
  });
  return { lines: bankLines, problems, outcomes, audit };
}

/** Opening balance + committed credits − committed debits, per account, from the outcome list. */
function expectedBalances(outcomes: readonly TransferOutcome[]): Map<string, number> {
  const balances = new Map(OPENINGS.map((o) => [o.account, o.balance]));
  for (const o of outcomes) {
    if (o.status !== "committed") continue;
    balances.set(o.from, balances.get(o.from)! - o.amount);
    balances.set(o.to, balances.get(o.to)! + o.amount);
  }
  return balances;
}

const TOTAL = OPENINGS.reduce((sum, o) => sum + o.balance, 0);

/** The invariants every interleaving must keep. */
function expectInvariants(run: BankRun): void {
  expect(run.problems).toEqual([]);
  // One outcome per order, each order exactly once.
  const orders = TRANSFER_BATCHES.flat();
  expect(run.outcomes.map((o) => o.tx).sort()).toEqual(orders.map((o) => o.tx).sort());
  // Every account answers, is unlocked, and has the balance the committed transfers give it.
  const expected = expectedBalances(run.outcomes);
  expect(run.audit).toEqual(ACCOUNTS.map((account) => ({ ok: true, account, balance: expected.get(account)!, lockedBy: null })));
  // Money is conserved.
  const total = run.audit.reduce((sum, r) => sum + (r.ok ? r.balance : Number.NaN), 0);
  expect(total).toBe(TOTAL);
}

test("bank-saga: the default export is the bank; the ledger is openings, five transfer batches, statements", () => {
  expect(bank.name).toBe("bank");
  expect(LEDGER.map((atom) => atom.map((e) => e.kind)[0])).toEqual(["open", "transfer", "transfer", "transfer", "transfer", "transfer", "statement"]);
  expect(TOTAL).toBe(2_950);
});

test("bank-saga (seed 1): the exact outcomes, committed or aborted with their reasons, and the statements", () => {
  const run = runBank(1);
  expect(run.problems).toEqual([]);
  expect(run.lines).toEqual([
    "t2 aborted: 150 from carol to erin: insufficient funds in carol: balance 100, debit 150",
    "t3 aborted: 1200 from dave to frank: limit check refused 1200 from dave: over the limit of 1000",
    "t1 committed: 200 from alice to bob",
    "t7 aborted: 50 from bob to erin: bob is locked by t6",
    "t4 aborted: 100 from alice to carol: carol is locked by t5",
    "t5 aborted: 50 from carol to alice: alice is locked by t4",
    "t6 committed: 100 from bob to dave",
    "t10 aborted: 30 from frank to bob: bob is locked by t9",
    "t8 committed: 900 from dave to erin",
    "t9 committed: 100 from carol to bob",
    "t13 aborted: 10 from bob to bob: bob cannot transfer to itself",
    "t12 aborted: 10 from alice to zoe: no account zoe",
    "t11 committed: 80 from erin to carol",
    "t14 committed: 1000 from dave to frank",
    "t15 aborted: 300 from dave to bob: insufficient funds in dave: balance 200, debit 300",
    "t16 aborted: 1050 from frank to alice: limit check refused 1050 from frank: over the limit of 1000",
    "statement alice: 300, unlocked",
    "statement bob: 500, unlocked",
    "statement carol: 80, unlocked",
    "statement dave: 200, unlocked",
    "statement erin: 820, unlocked",
    "statement frank: 1050, unlocked",
  ]);
  // The stream carries the same outcomes as structured events.
  expect(run.outcomes.map(describeOutcome)).toEqual(run.lines.slice(0, 16));
  expect(run.outcomes.filter((o) => o.status === "committed").map((o) => o.tx)).toEqual(["t1", "t6", "t8", "t9", "t11", "t14"]);
  expect(run.outcomes.find((o) => o.tx === "t3")).toEqual({
    tx: "t3",
    from: "dave",
    to: "frank",
    amount: 1200,
    status: "aborted",
    reason: "limit check refused 1200 from dave: over the limit of 1000",
  });
});

test("bank-saga (seed 1): final balances are opening + committed credits − committed debits, money is conserved, no lock is left", () => {
  const run = runBank(1);
  expectInvariants(run);
  expect(run.audit).toEqual([
    { ok: true, account: "alice", balance: 300, lockedBy: null },
    { ok: true, account: "bob", balance: 500, lockedBy: null },
    { ok: true, account: "carol", balance: 80, lockedBy: null },
    { ok: true, account: "dave", balance: 200, lockedBy: null },
    { ok: true, account: "erin", balance: 820, lockedBy: null },
    { ok: true, account: "frank", balance: 1050, lockedBy: null },
  ]);
});

test("bank-saga: the output in the example's header comment is the output of seeds 0 (the CLI's default) and 1", () => {
  const source = readFileSync(new URL("../../examples/bank-saga/app.ts", import.meta.url), "utf8");
  const header = source.slice(0, source.indexOf(" */"));
  const stated = header
    .split("\n")
    .filter((l) => /^ \* {3}(t\d+ |statement )/.test(l))
    .map((l) => l.slice(" *   ".length));
  expect(stated).toHaveLength(22);
  expect(runBank(0).lines).toEqual(stated);
  expect(runBank(1).lines).toEqual(stated);
  expect(header).toContain("node dist/runtime/cli/main.js run dist/examples/bank-saga/app.js");
});

test("bank-saga: the portal refuses a request for an account that was never opened", () => {
  const run = runBank(1, ["zoe"]);
  expect(run.audit).toEqual([{ ok: false, reason: "no account zoe" }]);
});

test.each([1, 2, 3, 4, 5])("bank-saga (seed %i): conservation, balances from the outcomes, and no locks left", (seed) => {
  expectInvariants(runBank(seed));
});

test("serveAccount: locks are exclusive per transaction, and only the holder can unlock, debit or credit", () => {
  const open = { balance: 100, lockedBy: null };
  const held = { balance: 100, lockedBy: "t1" };
  expect(serveAccount({ kind: "lock", account: "a", tx: "t1" }, open)).toEqual({
    reply: { ok: true, account: "a", balance: 100, lockedBy: "t1" },
    next: held,
  });
  expect(serveAccount({ kind: "lock", account: "a", tx: "t1" }, held)).toEqual({
    reply: { ok: true, account: "a", balance: 100, lockedBy: "t1" },
    next: held,
  });
  expect(serveAccount({ kind: "lock", account: "a", tx: "t2" }, held)).toEqual({ reply: { ok: false, reason: "a is locked by t1" }, next: held });
  expect(serveAccount({ kind: "unlock", account: "a", tx: "t2" }, held)).toEqual({
    reply: { ok: false, reason: "a is not locked by t2 (locked by t1)" },
    next: held,
  });
  expect(serveAccount({ kind: "credit", account: "a", amount: 5, tx: "t1" }, open)).toEqual({
    reply: { ok: false, reason: "a is not locked by t1 (unlocked)" },
    next: open,
  });
  expect(serveAccount({ kind: "credit", account: "a", amount: 5, tx: "t1" }, held)).toEqual({
    reply: { ok: true, account: "a", balance: 105, lockedBy: "t1" },
    next: { balance: 105, lockedBy: "t1" },
  });
  // A debit passes the lock and funds checks here and changes nothing yet: the limit check follows.
  expect(serveAccount({ kind: "debit", account: "a", amount: 100, tx: "t1" }, held)).toEqual({
    reply: { ok: true, account: "a", balance: 100, lockedBy: "t1" },
    next: held,
  });
  expect(serveAccount({ kind: "debit", account: "a", amount: 101, tx: "t1" }, held)).toEqual({
    reply: { ok: false, reason: "insufficient funds in a: balance 100, debit 101" },
    next: held,
  });
  expect(serveAccount({ kind: "debit", account: "a", amount: 5, tx: "t2" }, held)).toEqual({
    reply: { ok: false, reason: "a is not locked by t2 (locked by t1)" },
    next: held,
  });
  expect(serveAccount({ kind: "unlock", account: "a", tx: "t1" }, held)).toEqual({
    reply: { ok: true, account: "a", balance: 100, lockedBy: null },
    next: open,
  });
  expect(serveAccount({ kind: "balance", account: "b" }, null)).toEqual({ reply: { ok: false, reason: "no account b" }, next: null });
});
