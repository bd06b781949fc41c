/**
 * Ping-pong: two workflows serve each other's portal. A rally starts with a request to `pong`;
 * serving `n`, each side asks the other side with `n - 1` and answers with one more than it
 * got back, so the original request returns the number of rallies. The requests nest: every
 * server awaits while serving, and its reply answers the original request (docs/semantics.md, rule 9).
 * The async operators are compiled into serializable continuations (tspc, or the plugin/hook).
 *
 * Output: pong 6, ping 5, pong 4, ping 3, pong 2, ping 1, pong 0, then `6 rallies`.
 */
import { PortalsApp } from "portals-ts";

export default PortalsApp("ping-pong", (app) => {
  const ping = app.portal<number, number>("ping");
  const pong = app.portal<number, number>("pong");
  const start = app.generators.signal(6, { name: "start" });
  app
    .workflows<number, never>("ping")
    .source(start.stream)
    .askerReplier(
      pong,
      ping,
      async (n, ctx) => {
        const rallies = await pong.request(n);
        ctx.log.info(`${rallies} rallies`);
      },
      async (n, ctx) => {
        ctx.log.info(`ping ${n}`);
        ctx.reply(n === 0 ? 0 : (await pong.request(n - 1)) + 1);
      },
    )
    .sink()
    .freeze();
  app
    .workflows<never, never>("pong")
    .source(app.generators.empty<never>({ name: "idle" }).stream)
    .askerReplier(
      ping,
      pong,
      () => {},
      async (n, ctx) => {
        ctx.log.info(`pong ${n}`);
        ctx.reply(n === 0 ? 0 : (await ping.request(n - 1)) + 1);
      },
    )
    .sink()
    .freeze();
});
