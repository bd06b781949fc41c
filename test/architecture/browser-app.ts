/**
 * The application `browser.test.ts` runs from the browser bundle of the runtime: a generator of
 * clicks, a keyed workflow that counts them per page and asks a portal for the page's title with
 * async code (compiled into a machine when it is bundled, as a playground compiles it), and the
 * workflow that serves the portal. It logs with the system's default writer unless given one.
 */
import { PortalsApp, Sinks, Systems, type Application, type LogWriter, type Sink } from "portals-ts";

interface Click {
  readonly page: string;
  readonly user: string;
}

/**
 * Runs the application to completion: in a test system until the asker waits for its first
 * reply, then from a snapshot of it in a fresh system (so the snapshot codec and framing run
 * too). Returns what the sink got, and the snapshot.
 */
export function run(log?: LogWriter): { readonly output: readonly string[]; readonly snapshot: readonly number[] } {
  const output = Sinks.memory<string>();
  const app = clicks(output);
  const options = { seed: 1, ...(log !== undefined ? { log } : {}) };
  const first = Systems.test(options);
  first.launch(app);
  while (first.parkedContinuations === 0) first.step();
  const snapshot = first.snapshot();
  first.shutdown();
  const second = Systems.test(options).restore(snapshot, [app]);
  second.stepUntilComplete();
  second.shutdown();
  return { output: [...output.committed], snapshot: [...snapshot] };
}

/** The application, its counter's output going to `output`. */
function clicks(output: Sink<string>): Application {
  return PortalsApp("clicks", (app) => {
    const titles = app.portal<string, string>("titles");
    app
      .workflows<never, never>("titles")
      .source(app.generators.empty<never>({ name: "idle" }).stream)
      .replier(
        titles,
        () => {},
        (page, ctx) => ctx.reply(page === "/" ? "Home" : page.slice(1)),
      )
      .sink()
      .freeze();
    const clicks = app.generators.fromArrayOfArrays<Click>([
      [
        { page: "/", user: "ann" },
        { page: "/cart", user: "bob" },
      ],
      [{ page: "/", user: "bob" }],
    ]);
    app
      .workflows<Click, string>("counter")
      .source(clicks.stream)
      .key((click) => click.page)
      .asker(titles, async (click, ctx) => {
        const title = await titles.request(click.page);
        const count = ctx.perKey("count", 0);
        count.set(count.get() + 1);
        ctx.emit(`${title}: ${count.get()} (last ${click.user})`);
      })
      .logger()
      .sink(output)
      .freeze();
  });
}
