/**
 * Names on NATS (docs/cluster.md, "Names on NATS"): every stream a runtime publishes is a
 * JetStream stream of its own, with one subject, so that the runtime is its single writer and
 * knows the sequence number of its next message: publishes can be pipelined, each expecting the
 * stream's last sequence, and a lost one can never be overtaken by the next.
 */
import { createHash } from "node:crypto";

/** The key-value bucket of the cluster's directory: which runtime runs which application. */
export const DIRECTORY_BUCKET = "portals-directory";
/** Header of an atom message: the atom's number in its stream (0 for the first). */
export const ATOM_HEADER = "Portals-Atom";

/**
 * `name` as one subject token (and key-value key token): letters, digits, `_` and `-` as they
 * are, every other character as `=` and its code in hex (a path segment may hold `.` and `$`,
 * which subjects give meaning).
 */
export function token(name: string): string {
  return name.replace(/[^\w-]/g, (c) => `=${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** The subject that runtime `runtime` publishes the atoms of stream `path` on. */
export function streamSubject(path: string, runtime: string): string {
  return `pt.s.${path.split("/").slice(1).map(token).join(".")}.${token(runtime)}`;
}

/**
 * The JetStream stream of the atoms of stream `path` that runtime `runtime` publishes: a hash,
 * since stream names cannot hold paths (the stream's description names both).
 */
export function jetStreamName(path: string, runtime: string): string {
  return `PT_${createHash("sha256").update(`${runtime}\n${path}`).digest("hex").slice(0, 32)}`;
}

/** The stream on a replier's runtime of the requests that runtime `asker` sends to portal `portal`. */
export function requestsFrom(portal: string, asker: string): string {
  return `${portal}/requests/from/${asker}/stream`;
}

/** The message id of atom `atom` of stream `path` published by `runtime`: the same atom always has the same id. */
export function atomMessageId(runtime: string, path: string, atom: number): string {
  return `${runtime}:${path}:${atom}`;
}

/** The subject on which runtime `runtime` takes asks of its portals from other runtimes (core NATS request/reply). */
export function askSubject(runtime: string): string {
  return `pt.ask.${token(runtime)}`;
}

/**
 * The directory key of the application at path `app` (`/<name>`), or of its partition `index`
 * when it runs partitioned (docs/cluster.md, "Partitioned applications").
 */
export function directoryKey(app: string, partition?: { readonly index: number }): string {
  return `apps.${token(app.slice(1))}${partition === undefined ? "" : `.${partition.index}`}`;
}

/** The directory key of runtime `runtime`'s identity: which data directory holds the name, and its epoch (`identity.ts`). */
export function identityKey(runtime: string): string {
  return `runtimes.${token(runtime)}`;
}

/** The directory keys of applications (a watch of the directory follows only these). */
export const APP_KEYS = "apps.>";

/** A runtime name: the same characters as an application name (it is a subject token and a message id part). */
export function isRuntimeName(name: unknown): name is string {
  return typeof name === "string" && /^[\w-]{1,64}$/.test(name);
}
