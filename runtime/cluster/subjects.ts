/**
 * Names on NATS (docs/cluster.md, "Names on NATS"): every remote stream is one JetStream
 * stream's subjects, one subject per stream path and producer runtime, so that a producer is
 * the single writer of its subject (fencing by the subject's last sequence) and a consumer
 * reads every producer of a path with one wildcard.
 */

/** The JetStream stream that holds every remote stream's atoms. */
export const ATOMS_STREAM = "PORTALS_ATOMS";
/** Subjects of {@link ATOMS_STREAM}. */
export const ATOMS_SUBJECTS = "pt.s.>";
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
  return `${streamSubjects(path).slice(0, -1)}${token(runtime)}`;
}

/** The subjects of stream `path` from every runtime (a filter). */
export function streamSubjects(path: string): string {
  return `pt.s.${path.split("/").slice(1).map(token).join(".")}.*`;
}

/** The stream on a replier's runtime of the requests that runtime `asker` sends to portal `portal`. */
export function requestsFrom(portal: string, asker: string): string {
  return `${portal}/requests/from/${asker}/stream`;
}

/** The runtime a subject of {@link streamSubjects} comes from, as its token. */
export function runtimeToken(subject: string): string {
  return subject.slice(subject.lastIndexOf(".") + 1);
}

/** The message id of atom `atom` of stream `path` published by `runtime`: the same atom always has the same id. */
export function atomMessageId(runtime: string, path: string, atom: number): string {
  return `${runtime}:${path}:${atom}`;
}

/** The subject on which runtime `runtime` takes asks of its portals from other runtimes (core NATS request/reply). */
export function askSubject(runtime: string): string {
  return `pt.ask.${token(runtime)}`;
}

/** The directory key of the application at path `app` (`/<name>`). */
export function directoryKey(app: string): string {
  return `apps.${token(app.slice(1))}`;
}

/** A runtime name: the same characters as an application name (it is a subject token and a message id part). */
export function isRuntimeName(name: unknown): name is string {
  return typeof name === "string" && /^[\w-]{1,64}$/.test(name);
}
