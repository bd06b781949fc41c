/**
 * What outside callers name (docs/live.md): the portal an ask names, the ingestion stream a send
 * names and the stream a tail names, each found in the running applications or refused with a
 * LiveError `not-found` that says what there is; and watching a tail's stream in an engine
 * (again in the new engine after an upgrade).
 */
import { SYSTEM_APP_PREFIX } from "../core/paths.js";
import type { Application } from "../api/application.js";
import type { IngestionSource } from "../engine/components/live-sources.js";
import type { Engine } from "../engine/engine.js";
import type { Tail } from "./live-callers.js";
import { LiveError } from "./live-error.js";

/**
 * Checks that `stream` (a path) is a stream of a running application of `engine`.
 *
 * @throws LiveError `not-found` naming the stream, with the path to use when `stream` is how a
 *   send names an ingestion stream (`/<app>/<name>`), or saying its application was stopped
 */
export function checkTailable(engine: Engine, stream: string): void {
  const found = engine.registry.find(stream);
  if (engine.isStopped(`/${stream.split("/")[1]}`)) throw new LiveError("not-found", `stream ${stream} belongs to application ${stream.split("/")[1]}, which was stopped; its streams have ended`);
  if (found?.kind !== "stream" || stream.startsWith(`/${SYSTEM_APP_PREFIX}`)) {
    // `<app>/<name>` is how sends name an ingestion stream: point at its tail path.
    const [, app, name, more] = stream.split("/");
    const ingestion = more === undefined && engine.generators.get(`/${app}/generators/${name}`)?.ingestion !== undefined;
    const hint = ingestion ? `; the events sent to ${app}/${name} are on /${app}/generators/${name}/stream` : "";
    throw new LiveError(
      "not-found",
      `no stream ${stream} in the running applications (a stream path ends in /stream: /<app>/workflows/<name>/stream, /<app>/generators/<name>/stream)${hint}`,
    );
  }
}

/** Watches `tail`'s stream in `engine`: its atoms wait in `tail.pending` for the next checkpoint. */
export function watchTail(engine: Engine, tail: Tail): void {
  const found = engine.registry.find(tail.stream);
  if (found?.kind !== "stream") return;
  tail.unwatch = found.stream.watch((atom) => {
    if (!atom.portal && (atom.values.length > 0 || atom.seal)) tail.pending.push({ events: atom.values, end: atom.seal });
  });
}

/**
 * The ingestion source of the gateway that asks `portal` (a path) for outside callers.
 *
 * @throws LiveError `not-found` when the portal's application was stopped, or no running
 *   application (of `apps`, gateways by application path in `gateways`) has the portal
 */
export function askTarget(engine: Engine, apps: readonly Application[], gateways: ReadonlyMap<string, string>, portal: string): IngestionSource {
  const app = portal.split("/")[1] ?? "";
  const input = gateways.get(`/${app}`);
  if (engine.isStopped(`/${app}`)) throw new LiveError("not-found", `application ${app} was stopped; its portal ${portal} takes no more asks`);
  if (input === undefined || !apps.some((a) => a.model.portals.some((p) => p.path === portal))) {
    const portals = apps.flatMap((a) => a.model.portals.map((p) => p.path)).filter((p) => !p.startsWith(`/${SYSTEM_APP_PREFIX}`));
    throw new LiveError("not-found", `no portal ${portal} in the running applications${portals.length === 0 ? " (none has portals)" : ` (portals: ${portals.join(", ")})`}`);
  }
  return engine.generators.get(input)!.ingestion!;
}

/**
 * The ingestion source `generator` (a path, `/<app>/generators/<name>`) names.
 *
 * @throws LiveError `not-found` when its application was stopped, or it is not an ingestion
 *   generator of a running user application
 */
export function sendTarget(engine: Engine, generator: string): IngestionSource {
  if (engine.isStopped(`/${generator.split("/")[1]}`)) throw new LiveError("not-found", `application ${generator.split("/")[1]} was stopped; ${generator} takes no more events`);
  const source = generator.startsWith(`/${SYSTEM_APP_PREFIX}`) ? undefined : engine.generators.get(generator)?.ingestion;
  if (source === undefined) throw new LiveError("not-found", `no ingestion stream ${generator} in the running applications (made by app.generators.http(name))`);
  return source;
}
