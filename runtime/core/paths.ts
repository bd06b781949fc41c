/**
 * Paths: every part of an application is named by a path, `/<app>/<kind>/<name>`, and every
 * stream by its owner's path plus `/stream`. Paths are how applications launched later reach
 * the parts of earlier ones (the registry), and how snapshots name what they hold.
 */

/** The kinds of parts another application can look up in the registry. */
export type RegistryKind = "stream" | "sequencer" | "splitter" | "portal";

/** The shape of a path of each registry kind. */
export const PATH_SHAPES: Readonly<Record<RegistryKind, RegExp>> = {
  stream: /^\/[^/]+\/(workflows|generators|sequencers|splits)\/[^/]+\/stream$/,
  sequencer: /^\/[^/]+\/sequencers\/[^/]+$/,
  splitter: /^\/[^/]+\/splitters\/[^/]+$/,
  portal: /^\/[^/]+\/portals\/[^/]+$/,
};

/** A path of each registry kind as users write it, for messages. */
export const PATH_EXAMPLES: Readonly<Record<RegistryKind, string>> = {
  stream: "/<app>/workflows/<name>/stream",
  sequencer: "/<app>/sequencers/<name>",
  splitter: "/<app>/splitters/<name>",
  portal: "/<app>/portals/<name>",
};

/** The output stream of the part at `path`. */
export function streamOf(path: string): string {
  return `${path}/stream`;
}

/** True when `path` belongs to the application at `app` (`/<name>`). */
export function isOwnPath(app: string, path: string): boolean {
  return path.startsWith(app + "/");
}
