/**
 * A previous-value service: the `previous` portal answers each request with the value of the
 * request before it (0 for the first) and keeps the new one. Its key function sends every
 * request to one key, so all of them share that key's state. The asker requests each number
 * of `fromRange(0, 128, 8)` in turn and logs the number with its answer: request order within
 * an atom is kept and continuations resume in that order (docs/semantics.md, rule 8).
 *
 * Output: `{"x":n,"future":max(n-1,0)}` for n = 0…127.
 */
import { PortalsApp } from "portals-ts";

export default PortalsApp("previous-value", (app) => {
  const previous = app.portal<number, number>("previous", { key: () => 0 });
  const numbers = app.generators.fromRange(0, 128, 8, { name: "numbers" });
  app
    .workflows<never, never>("service")
    .source(app.generators.empty<never>({ name: "idle" }).stream)
    .replier(
      previous,
      () => {},
      (x, ctx) => {
        const last = ctx.perKey("last", 0);
        ctx.reply(last.get());
        last.set(x);
      },
    )
    .sink()
    .freeze();
  app
    .workflows<number, never>("asker")
    .source(numbers.stream)
    .asker(previous, async (x, ctx) => {
      const future = await previous.request(x);
      ctx.log.info(JSON.stringify({ x, future }));
    })
    .sink()
    .freeze();
});
