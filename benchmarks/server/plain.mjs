// The baseline of the server benchmark: a plain Fastify handler doing the same Map lookup.
import Fastify from "fastify";

const values = new Map();
const app = Fastify({ logger: false });
app.post("/v1/portals/kv/kv", async (request) => {
  const r = request.body;
  if (r.op === "put") values.set(r.key, r.value);
  return { reply: values.get(r.key) ?? null };
});
await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`listening on http://127.0.0.1:${app.server.address().port}\n`);
