/**
 * Paths: every part of an application is named by a path, `/<app>/<kind>/<name>`, and every
 * stream by its owner's path plus `/stream`. Paths are how applications launched later reach
 * the parts of earlier ones (the registry), and how snapshots name what they hold.
 */

/**
 * Names of a live system's own applications start with this (its gateways,
 * `system/gateway.ts`): user applications cannot take them, and messages leave them out.
 */
export const SYSTEM_APP_PREFIX = "portals.";

/** The kinds of parts another application can look up in the registry. */
export type RegistryKind = "stream" | "sequencer" | "splitter" | "portal";

/**
 * Names a workflow's own streams other than its output cannot take: portal expansion puts its
 * internal streams there (`graph/expand.ts`).
 */
export const RESERVED_STREAM_NAMES: readonly string[] = ["portal-in", "portal-out", "portal-router", "replies"];

/**
 * True when `name` can name a part (`$` allowed) or, with `part: false`, an application: one
 * path segment of letters, digits, `_`, `-` and `.`, but not `.` or `..` alone, which URLs and
 * file paths resolve away (such a part could not be reached over HTTP).
 */
export function isSegmentName(name: unknown, part: boolean): name is string {
  return typeof name === "string" && (part ? /^[\w.$-]+$/ : /^[\w.-]+$/).test(name) && name !== "." && name !== "..";
}

/** The shape of a path of each registry kind. */
export const PATH_SHAPES: Readonly<Record<RegistryKind, RegExp>> = {
  // The output streams of parts, and a workflow's dead letters (`/<app>/workflows/<w>/<name>/stream`).
  stream: new RegExp(`^/[^/]+/((workflows|generators|sequencers|splits)/[^/]+|workflows/[^/]+/(?!(${RESERVED_STREAM_NAMES.join("|")})/)[^/]+)/stream$`),
  sequencer: /^\/[^/]+\/sequencers\/[^/]+$/,
  splitter: /^\/[^/]+\/splitters\/[^/]+$/,
  portal: /^\/[^/]+\/portals\/[^/]+$/,
};

/** A path of each registry kind as users write it, for messages. */
export const PATH_EXAMPLES: Readonly<Record<RegistryKind, string>> = {
  stream: "/<app>/workflows/<name>/stream (or /<app>/workflows/<name>/<dead letters>/stream)",
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

/** The dead-letter stream named `name` of the workflow at `workflow` (`workflow.deadLetters(name)`). */
export function deadLettersOf(workflow: string, name: string): string {
  return `${workflow}/${name}/stream`;
}
