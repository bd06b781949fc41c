/**
 * Bank-account saga: money transfers as multi-step sagas over an `accounts` portal, written as
 * ordinary async code that the compiler turns into serializable continuations (docs/semantics.md, rules 8 and 9).
 *
 * The application `bank` reads one ledger generator. Its first atom opens the accounts, the
 * middle atoms are batches of transfer orders, the last atom asks for end-of-day statements.
 * A splitter routes each kind to its workflow:
 *
 *   - `accounts` serves the `accounts` portal, keyed by account id, with one asker-replier task
 *     that keeps per-key state (balance, lock holder). Requests: `lock`, `unlock`, `debit`,
 *     `credit`, `balance`. A debit needs the transaction's lock and the funds, and then awaits
 *     the `limits` portal (a fraud check served by another workflow) before it replies: the
 *     request nests, and the reply sent from the continuation answers the original debit
 *     (docs/semantics.md, rule 9).
 *   - `limits` serves the `limits` portal: it refuses any single debit over {@link TRANSFER_LIMIT}.
 *   - `transfers` keys the orders by transaction id and runs one saga per order in an async
 *     asker: lock the source, lock the destination, debit, credit, each step awaited. A refused
 *     step aborts the saga by throwing; the locks are released in `finally` blocks that await
 *     `unlock`, so they are released on the commit path and on every abort path. It emits one
 *     {@link TransferOutcome} per order, after the locks are released.
 *   - `report` logs each outcome as a line; `statements` asks the portal for each account's
 *     balance and lock holder at the end of the day and logs them.
 *
 * The sagas of one atom run interleaved: all of them ask for their first lock in one step, and
 * each continues when its reply arrives, so transfers of one atom that touch the same accounts
 * meet locks held by each other (and abort, without waiting: no deadlock). The openings are in
 * place before the first order, and every saga of an atom has finished before the next atom
 * arrives: portal traffic goes first (docs/semantics.md, rule 8), and workflows and sequencers step before
 * the splitter and the generator take their next atom (runtime/engine/scheduler.ts).
 *
 * Run it (after `npm run build`):
 *
 *   node dist/runtime/cli/main.js run dist/examples/bank-saga/app.js
 *
 * It prints one line per transfer as its saga ends, then the statements. Below is the output of
 * seed 0 (the CLI's default) and seed 1 (the tests check it exactly). Other seeds may deliver
 * the sagas' requests to the accounts in another order; the tests check for seeds 1-5 that money
 * is conserved, balances match the committed transfers and no lock is left.
 *
 *   t2 aborted: 150 from carol to erin: insufficient funds in carol: balance 100, debit 150
 *   t3 aborted: 1200 from dave to frank: limit check refused 1200 from dave: over the limit of 1000
 *   t1 committed: 200 from alice to bob
 *   t7 aborted: 50 from bob to erin: bob is locked by t6
 *   t4 aborted: 100 from alice to carol: carol is locked by t5
 *   t5 aborted: 50 from carol to alice: alice is locked by t4
 *   t6 committed: 100 from bob to dave
 *   t10 aborted: 30 from frank to bob: bob is locked by t9
 *   t8 committed: 900 from dave to erin
 *   t9 committed: 100 from carol to bob
 *   t13 aborted: 10 from bob to bob: bob cannot transfer to itself
 *   t12 aborted: 10 from alice to zoe: no account zoe
 *   t11 committed: 80 from erin to carol
 *   t14 committed: 1000 from dave to frank
 *   t15 aborted: 300 from dave to bob: insufficient funds in dave: balance 200, debit 300
 *   t16 aborted: 1050 from frank to alice: limit check refused 1050 from frank: over the limit of 1000
 *   statement alice: 300, unlocked
 *   statement bob: 500, unlocked
 *   statement carol: 80, unlocked
 *   statement dave: 200, unlocked
 *   statement erin: 820, unlocked
 *   statement frank: 1050, unlocked
 */
import { PortalsApp, type StateContext, type StateHandle } from "portals-ts";

/** Largest amount a single debit may move; the `limits` portal refuses larger ones. */
export const TRANSFER_LIMIT = 1_000;

/** Opens an account with a balance. */
export interface Opening {
  readonly kind: "open";
  readonly account: string;
  readonly balance: number;
}

/** Moves `amount` from account `from` to account `to`, as transaction `tx`. */
export interface TransferOrder {
  readonly kind: "transfer";
  readonly tx: string;
  readonly from: string;
  readonly to: string;
  readonly amount: number;
}

/** Asks for the end-of-day statement of an account. */
export interface StatementOrder {
  readonly kind: "statement";
  readonly account: string;
}

/** An entry of the ledger generator. */
export type LedgerEntry = Opening | TransferOrder | StatementOrder;

/** The state of an account (per key of the `accounts` task). */
export interface AccountState {
  readonly balance: number;
  /** The transaction holding the account's lock, or `null` when it is unlocked. */
  readonly lockedBy: string | null;
}

/** A request to the `accounts` portal; it is served under the key `account`. */
export type AccountRequest =
  | { readonly kind: "lock"; readonly account: string; readonly tx: string }
  | { readonly kind: "unlock"; readonly account: string; readonly tx: string }
  | { readonly kind: "debit"; readonly account: string; readonly amount: number; readonly tx: string }
  | { readonly kind: "credit"; readonly account: string; readonly amount: number; readonly tx: string }
  | { readonly kind: "balance"; readonly account: string };

/** The reply of the `accounts` portal: the account after the request, or why it was refused. */
export type AccountReply =
  | { readonly ok: true; readonly account: string; readonly balance: number; readonly lockedBy: string | null }
  | { readonly ok: false; readonly reason: string };

/** A request to the `limits` portal: may `account` send `amount` in transaction `tx`? */
export interface LimitCheck {
  readonly account: string;
  readonly amount: number;
  readonly tx: string;
}

/** The reply of the `limits` portal. */
export type LimitVerdict = { readonly approved: true } | { readonly approved: false; readonly reason: string };

/** What became of a transfer order. */
export type TransferOutcome =
  | { readonly tx: string; readonly from: string; readonly to: string; readonly amount: number; readonly status: "committed" }
  | {
      readonly tx: string;
      readonly from: string;
      readonly to: string;
      readonly amount: number;
      readonly status: "aborted";
      readonly reason: string;
    };

/** A statement: an account's balance and lock holder, as the `accounts` portal reports them. */
export interface Statement {
  readonly account: string;
  readonly balance: number;
  readonly lockedBy: string | null;
}

/** The opening balances (the ledger's first atom). */
export const OPENINGS: readonly Opening[] = [
  { kind: "open", account: "alice", balance: 500 },
  { kind: "open", account: "bob", balance: 300 },
  { kind: "open", account: "carol", balance: 100 },
  { kind: "open", account: "dave", balance: 2_000 },
  { kind: "open", account: "erin", balance: 0 },
  { kind: "open", account: "frank", balance: 50 },
];

/** Shorthand for a transfer order. */
function transfer(tx: string, from: string, to: string, amount: number): TransferOrder {
  return { kind: "transfer", tx, from, to, amount };
}

/**
 * Batches of transfer orders, one atom each. The sagas of one atom run interleaved, a step at a
 * time: every saga locks its source, then every saga that got it locks its destination, and so on.
 */
export const TRANSFER_BATCHES: readonly (readonly TransferOrder[])[] = [
  // Separate accounts: one commits, one lacks funds, one is over the limit (dave has the funds).
  [transfer("t1", "alice", "bob", 200), transfer("t2", "carol", "erin", 150), transfer("t3", "dave", "frank", 1_200)],
  // t4 and t5 lock their sources, then find their destinations locked by each other: both abort.
  // t6 locks bob before t7 asks for it as its source.
  [transfer("t4", "alice", "carol", 100), transfer("t5", "carol", "alice", 50), transfer("t6", "bob", "dave", 100), transfer("t7", "bob", "erin", 50)],
  // t9 and t10 both pay bob: t9 locks him first, t10 finds its destination locked.
  [transfer("t8", "dave", "erin", 900), transfer("t9", "carol", "bob", 100), transfer("t10", "frank", "bob", 30)],
  // erin can pay now; an unknown destination (alice is locked, then released); a transfer to
  // oneself; a debit of exactly the limit.
  [transfer("t11", "erin", "carol", 80), transfer("t12", "alice", "zoe", 10), transfer("t13", "bob", "bob", 10), transfer("t14", "dave", "frank", 1_000)],
  // dave no longer has 300; frank has 1050 but may not send it at once.
  [transfer("t15", "dave", "bob", 300), transfer("t16", "frank", "alice", 1_050)],
];

/** Every account, in opening order, for the statements. */
export const ACCOUNTS: readonly string[] = OPENINGS.map((o) => o.account);

/** The ledger: openings, the transfer batches, then the statements; one inner array per atom. */
export const LEDGER: readonly (readonly LedgerEntry[])[] = [
  OPENINGS,
  ...TRANSFER_BATCHES,
  ACCOUNTS.map((account): StatementOrder => ({ kind: "statement", account })),
];

/** The per-key state handle of an account in the `accounts` task (`null`: not opened). */
function accountOf(ctx: StateContext): StateHandle<AccountState | null> {
  return ctx.perKey<AccountState | null>("account", null);
}

/** A successful reply reporting `state` of `account`. */
function accepted(account: string, state: AccountState): AccountReply {
  return { ok: true, account, balance: state.balance, lockedBy: state.lockedBy };
}

/** A refusal with `reason`. */
function refused(reason: string): AccountReply {
  return { ok: false, reason };
}

/**
 * Serves an account request on the account's `state` (`null`: never opened) and returns the
 * reply and the account's new state. A debit that passes the lock and funds checks changes
 * nothing yet: the `accounts` task then asks the `limits` portal and takes the money only if
 * the limit check approves.
 */
export function serveAccount(request: AccountRequest, state: AccountState | null): { reply: AccountReply; next: AccountState | null } {
  const { account } = request;
  if (state === null) return { reply: refused(`no account ${account}`), next: state };
  if (request.kind === "balance") return { reply: accepted(account, state), next: state };
  const holder = state.lockedBy;
  if (request.kind === "lock") {
    if (holder !== null && holder !== request.tx) return { reply: refused(`${account} is locked by ${holder}`), next: state };
    const next = { ...state, lockedBy: request.tx };
    return { reply: accepted(account, next), next };
  }
  if (holder !== request.tx) {
    return { reply: refused(`${account} is not locked by ${request.tx} (${holder === null ? "unlocked" : `locked by ${holder}`})`), next: state };
  }
  switch (request.kind) {
    case "unlock": {
      const next = { ...state, lockedBy: null };
      return { reply: accepted(account, next), next };
    }
    case "credit": {
      const next = { ...state, balance: state.balance + request.amount };
      return { reply: accepted(account, next), next };
    }
    case "debit":
      if (state.balance < request.amount) {
        return { reply: refused(`insufficient funds in ${account}: balance ${state.balance}, debit ${request.amount}`), next: state };
      }
      return { reply: accepted(account, state), next: state };
  }
}

/** The log line of an outcome, e.g. `t1 committed: 200 from alice to bob`. */
export function describeOutcome(outcome: TransferOutcome): string {
  const what = `${outcome.amount} from ${outcome.from} to ${outcome.to}`;
  return outcome.status === "committed" ? `${outcome.tx} committed: ${what}` : `${outcome.tx} aborted: ${what}: ${outcome.reason}`;
}

/** The log line of a statement, e.g. `statement alice: 300, unlocked`. */
export function describeStatement(statement: Statement): string {
  return `statement ${statement.account}: ${statement.balance}, ${statement.lockedBy === null ? "unlocked" : `locked by ${statement.lockedBy}`}`;
}

/** The bank: accounts and limits portals, the transfer sagas, the report and the statements. */
export const bank = PortalsApp("bank", (app) => {
  const accounts = app.portal<AccountRequest, AccountReply>("accounts", { key: (request) => request.account });
  const limits = app.portal<LimitCheck, LimitVerdict>("limits", { key: (check) => check.account });

  const ledger = app.generators.fromArrayOfArrays<LedgerEntry>(LEDGER, { name: "ledger" });
  const byKind = app.splitters.empty(ledger.stream, { name: "byKind" });
  const openings = app.splits.split(byKind, (e): e is Opening => e.kind === "open", { name: "openings" });
  const orders = app.splits.split(byKind, (e): e is TransferOrder => e.kind === "transfer", { name: "orders" });
  const statementOrders = app.splits.split(byKind, (e): e is StatementOrder => e.kind === "statement", { name: "statementOrders" });

  // The fraud check that a debit awaits before it replies.
  app
    .workflows<never, never>("limits")
    .source(app.generators.empty<never>({ name: "idle" }).stream)
    .replier<never, LimitCheck, LimitVerdict>(
      limits,
      () => {},
      (check, ctx) =>
        ctx.reply(
          check.amount > TRANSFER_LIMIT
            ? { approved: false, reason: `limit check refused ${check.amount} from ${check.account}: over the limit of ${TRANSFER_LIMIT}` }
            : { approved: true },
        ),
    )
    .sink()
    .freeze();

  // The accounts: openings from the stream, requests from the portal, both under the account id.
  app
    .workflows<Opening, never>("accounts")
    .source(openings)
    .key((opening) => opening.account)
    .askerReplier<never, AccountRequest, AccountReply>(
      limits,
      accounts,
      (opening, ctx) => accountOf(ctx).set({ balance: opening.balance, lockedBy: null }),
      async (request, ctx) => {
        const state = accountOf(ctx).get();
        const { reply, next } = serveAccount(request, state);
        if (next !== state) accountOf(ctx).set(next);
        if (request.kind !== "debit" || !reply.ok) {
          ctx.reply(reply);
          return;
        }
        // A nested request: the debit's reply waits for the limit check.
        const verdict = await limits.request({ account: request.account, amount: request.amount, tx: request.tx });
        if (!verdict.approved) {
          ctx.reply(refused(verdict.reason));
          return;
        }
        // The account is locked by this transaction, so its balance did not change while we waited.
        const current = accountOf(ctx).get()!;
        const debited = { ...current, balance: current.balance - request.amount };
        accountOf(ctx).set(debited);
        ctx.reply(accepted(request.account, debited));
      },
    )
    .sink()
    .freeze();

  // The sagas: one per transfer order, keyed by transaction id.
  const transfers = app
    .workflows<TransferOrder, TransferOutcome>("transfers")
    .source(orders)
    .key((order) => order.tx)
    .asker<TransferOutcome>(accounts, async (order, ctx) => {
      const { tx, from, to, amount } = order;
      try {
        if (from === to) throw new Error(`${from} cannot transfer to itself`);
        const sourceLock = await accounts.request({ kind: "lock", account: from, tx });
        if (!sourceLock.ok) throw new Error(sourceLock.reason);
        try {
          const destinationLock = await accounts.request({ kind: "lock", account: to, tx });
          if (!destinationLock.ok) throw new Error(destinationLock.reason);
          try {
            const debit = await accounts.request({ kind: "debit", account: from, amount, tx });
            if (!debit.ok) throw new Error(debit.reason);
            const credit = await accounts.request({ kind: "credit", account: to, amount, tx });
            if (!credit.ok) {
              // Cannot happen while the saga holds both locks; compensate anyway: refund the source.
              const refund = await accounts.request({ kind: "credit", account: from, amount, tx });
              throw new Error(`${credit.reason}${refund.ok ? "; debit refunded" : `; refund failed: ${refund.reason}`}`);
            }
          } finally {
            const released = await accounts.request({ kind: "unlock", account: to, tx });
            if (!released.ok) ctx.log.warn(`${tx}: ${released.reason}`);
          }
        } finally {
          const released = await accounts.request({ kind: "unlock", account: from, tx });
          if (!released.ok) ctx.log.warn(`${tx}: ${released.reason}`);
        }
        ctx.emit({ tx, from, to, amount, status: "committed" });
      } catch (e) {
        ctx.emit({ tx, from, to, amount, status: "aborted", reason: (e as Error).message });
      }
    })
    .sink()
    .freeze();

  app
    .workflows<TransferOutcome, string>("report")
    .source(transfers.stream)
    .map(describeOutcome)
    .logger()
    .sink()
    .freeze();

  // End of day: each account's balance and lock holder, asked through the portal.
  app
    .workflows<StatementOrder, Statement>("statements")
    .source(statementOrders)
    .key((order) => order.account)
    .asker<Statement>(accounts, async (order, ctx) => {
      const reply = await accounts.request({ kind: "balance", account: order.account });
      if (!reply.ok) throw new Error(reply.reason);
      const statement: Statement = { account: reply.account, balance: reply.balance, lockedBy: reply.lockedBy };
      ctx.log.info(describeStatement(statement));
      ctx.emit(statement);
    })
    .sink()
    .freeze();
});

export default bank;
