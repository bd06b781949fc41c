/**
 * Routing with a splitter (docs/semantics.md, rule 6): each payment goes to the first split whose predicate
 * holds (refunds, then large payments, then everything else), and one workflow per split
 * handles its share:
 *
 *   - `refunds` logs each refund;
 *   - `large` keys by customer and keeps a per-customer total of large payments;
 *   - `regular` counts its payments and logs a summary at the end of the stream (onComplete).
 *
 * A split that gets no event of an atom gets no atom; the end of the stream reaches every split.
 */
import { PortalsApp } from "portals-ts";

/** A payment; negative amounts are refunds. */
export interface Payment {
  readonly id: number;
  readonly customer: string;
  readonly amount: number;
}

/** Payments at or above this amount go to the `large` workflow. */
export const LARGE = 100;

/** The input: one inner array per atom. */
export const PAYMENTS: readonly (readonly Payment[])[] = [
  [
    { id: 1, customer: "alice", amount: 30 },
    { id: 2, customer: "bob", amount: 250 },
    { id: 3, customer: "alice", amount: -30 },
  ],
  [
    { id: 4, customer: "carol", amount: 120 },
    { id: 5, customer: "bob", amount: 15 },
  ],
  [{ id: 6, customer: "bob", amount: 400 }],
];

export default PortalsApp("splitter-routing", (app) => {
  const payments = app.generators.fromArrayOfArrays(PAYMENTS, { name: "payments" });
  const router = app.splitters.empty(payments.stream, { name: "router" });
  const refunds = app.splits.split(router, (p) => p.amount < 0, { name: "refunds" });
  const large = app.splits.split(router, (p) => p.amount >= LARGE, { name: "large" });
  const regular = app.splits.split(router, () => true, { name: "regular" });

  app
    .workflows<Payment, Payment>("refunds")
    .source(refunds)
    .processor<Payment>((p, ctx) => {
      ctx.log.info(`refund #${p.id}: ${-p.amount} to ${p.customer}`);
      ctx.emit(p);
    })
    .sink()
    .freeze();

  app
    .workflows<Payment, Payment>("large")
    .source(large)
    .key((p) => p.customer)
    .processor<Payment>((p, ctx) => {
      const total = ctx.perKey("total", 0);
      total.set(total.get() + p.amount);
      ctx.log.info(`large #${p.id}: ${p.amount} from ${ctx.key} (large total ${total.get()})`);
      ctx.emit(p);
    })
    .sink()
    .freeze();

  app
    .workflows<Payment, Payment>("regular")
    .source(regular)
    .processor<Payment>((p, ctx) => {
      const count = ctx.perTask("count", 0);
      const sum = ctx.perTask("sum", 0);
      count.set(count.get() + 1);
      sum.set(sum.get() + p.amount);
      ctx.log.info(`regular #${p.id}: ${p.amount} from ${p.customer}`);
      ctx.emit(p);
    })
    .withOnComplete((ctx) => {
      ctx.log.info(`regular: ${ctx.perTask("count", 0).get()} payments, ${ctx.perTask("sum", 0).get()} in total`);
    })
    .sink()
    .freeze();
});
