// The server benchmark's application: a keyed key-value store. `get` answers a key's value,
// `put` sets it; the ingestion stream `in` takes [key, value] pairs.
import { PortalsApp } from "portals-ts";

export default PortalsApp("kv", (app) => {
  const kv = app.portal("kv", { key: (r) => r.key });
  app
    .workflows("store")
    .source(app.generators.http("in").stream)
    .key((e) => e[0])
    .replier(
      kv,
      (e, ctx) => ctx.perKey("v", null).set(e[1]),
      (r, ctx) => {
        const v = ctx.perKey("v", null);
        if (r.op === "put") v.set(r.value);
        ctx.reply(v.get());
      },
    )
    .sink();
});
