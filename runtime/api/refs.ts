/**
 * References to the parts of an application (streams, generators, sequencers, splitters,
 * portals, workflows). A ref is a typed path (`/<app>/<kind>/<name>[/stream]`, see
 * `core/paths.ts`); the same ref works in every system the application is launched into.
 */
import type { Key } from "../core/key.js";
import type { RequestHandle } from "../core/machine.js";
import { PortalRefValue } from "../core/portal-ref.js";

declare const OUT: unique symbol;

/** An atomic stream of events of type `T`: atoms of events, one after the other. */
export interface StreamRef<T> {
  /** What the ref refers to. */
  readonly kind: "stream";
  /** Path of the stream, e.g. `/shop/generators/orders/stream`. */
  readonly path: string;
  /** Phantom: the event type. */
  readonly [OUT]?: T;
}

/** A generator (source) and the stream it produces. */
export interface GeneratorRef<T> {
  /** What the ref refers to. */
  readonly kind: "generator";
  /** Path of the generator, e.g. `/shop/generators/orders`. */
  readonly path: string;
  /** The stream of the atoms it generates. */
  readonly stream: StreamRef<T>;
}

/** A sequencer: merges the streams connected to it, atom by atom, into its `stream`. */
export interface SequencerRef<T> {
  /** What the ref refers to. */
  readonly kind: "sequencer";
  /** Path of the sequencer, e.g. `/shop/sequencers/all`. */
  readonly path: string;
  /** The merged stream. */
  readonly stream: StreamRef<T>;
}

/** A splitter over a stream; `app.splits.split(splitter, predicate)` adds outputs to it. */
export interface SplitterRef<T> {
  /** What the ref refers to. */
  readonly kind: "splitter";
  /** Path of the splitter, e.g. `/shop/splitters/payments`. */
  readonly path: string;
  /** Phantom: the event type. */
  readonly [OUT]?: T;
}

/** A frozen workflow and its output stream. */
export interface WorkflowRef<T, U> {
  /** What the ref refers to. */
  readonly kind: "workflow";
  /** Path of the workflow, e.g. `/shop/workflows/cart`. */
  readonly path: string;
  /** The workflow's output stream. */
  readonly stream: StreamRef<U>;
  /** Phantom: the input type. */
  readonly [OUT]?: (input: T) => void;
}

/**
 * A portal: a request/reply service exposed by one replier task (docs/semantics.md, rules 8
 * and 9). `Req` is the request type, `Rep` the reply type.
 */
export interface PortalRef<Req, Rep> {
  /** What the ref refers to. */
  readonly kind: "portal";
  /** Path of the portal, e.g. `/shop/portals/inventory`. */
  readonly path: string;
  /**
   * Routing key of a request: the replier serves it under this key. Absent for portals looked up
   * in the registry (the defining application applies its own), and for portals without a key
   * function (the replier then runs under the asker's key).
   */
  readonly key?: (request: Req) => Key;
  /**
   * Sends `request` to the portal from inside a compiled async operator; `await` it for the
   * reply. The compiler turns the call into a send through the running task and the `await`
   * into a suspension point, so nothing blocks: the handle is data that a suspended
   * continuation may keep.
   *
   * @throws Error when called by code that was not compiled (a plain function, a timer), or
   *   when the task did not declare this portal
   */
  request(request: Req): RequestHandle<Rep>;
}

/** Makes a stream ref for `path`. */
export function streamRef<T>(path: string): StreamRef<T> {
  return { kind: "stream", path };
}

/** Makes a portal ref for `path` with an optional routing key function. */
export function portalRef<Req, Rep>(path: string, key?: (request: Req) => Key): PortalRef<Req, Rep> {
  return new PortalRefValue(path, key as ((request: never) => Key) | undefined) as unknown as PortalRef<Req, Rep>;
}
