/**
 * Tails of streams for callers outside the dataflow (`LiveSystem.tail`, `GET /v1/streams/…`,
 * docs/live.md): which streams can be tailed, and watching a tail's stream in an engine (again
 * in the new engine after an upgrade).
 */
import { SYSTEM_APP_PREFIX } from "../core/paths.js";
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
