// A keyed counter: count the clicks per page, atom by atom, and log each new count.
import { PortalsApp } from "portals-ts";

interface Click {
  readonly page: string;
  readonly user: string;
}

export default PortalsApp("clicks", (app) => {
  const clicks = app.generators.fromArrayOfArrays<Click>([
    [{ page: "/home", user: "ann" }, { page: "/cart", user: "bob" }],
    [{ page: "/home", user: "bob" }],
  ]);
  app
    .workflows<Click, string>("counter")
    .source(clicks.stream)
    .key((click) => click.page) // state below is per page
    .map((click, ctx) => {
      const count = ctx.perKey("count", 0);
      count.set(count.get() + 1);
      return `${ctx.key}: ${count.get()} (last ${click.user})`;
    })
    .logger()
    .sink()
    .freeze();
});
