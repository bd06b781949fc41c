/**
 * References to the parts of an application (streams, generators, sequencers, splitters,
 * portals, workflows). A ref is a typed path; the same ref works in every system the
 * application is launched into. Paths follow DESIGN §4: `/<app>/<kind>/<name>[/stream]`.
 */
import type { Key, RequestHandle } from "../engine/machine.js";
import { issueRequest } from "../engine/active.js";

declare const OUT: unique symbol;

/** An atomic stream of events of type `T` (DESIGN §1). */
export interface StreamRef<T> {
  readonly kind: "stream";
  /** Path of the stream, e.g. `/shop/generators/orders/stream`. */
  readonly path: string;
  /** Phantom: the event type. */
  readonly [OUT]?: T;
}

/** A generator (source) and the stream it produces. */
export interface GeneratorRef<T> {
  readonly kind: "generator";
  readonly path: string;
  readonly stream: StreamRef<T>;
}

/** A sequencer: merges the streams connected to it, atom by atom, into its `stream`. */
export interface SequencerRef<T> {
  readonly kind: "sequencer";
  readonly path: string;
  readonly stream: StreamRef<T>;
}

/** A splitter over a stream; `app.splits.split(splitter, predicate)` adds outputs to it. */
export interface SplitterRef<T> {
  readonly kind: "splitter";
  readonly path: string;
  /** Phantom: the event type. */
  readonly [OUT]?: T;
}

/** A frozen workflow and its output stream. */
export interface WorkflowRef<T, U> {
  readonly kind: "workflow";
  readonly path: string;
  readonly stream: StreamRef<U>;
  /** Phantom: the input type. */
  readonly [OUT]?: (input: T) => void;
}

/**
 * A portal: a request/reply service exposed by one replier task (DESIGN §1, §5.8–9).
 * `Req` is the request type, `Rep` the reply type.
 */
export interface PortalRef<Req, Rep> {
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
   * Sends `request` to the portal from inside a compiled asker operator; `await` it for the reply.
   * The compiler turns the `await` into a suspension point, so this never blocks: at run time it
   * returns a plain-data {@link RequestHandle} that the suspended continuation keeps.
   *
   * @throws Error outside of a running operator, or when the task did not declare this portal.
   */
  request(request: Req): Promise<Rep>;
}

/** Makes a stream ref for `path`. */
export function streamRef<T>(path: string): StreamRef<T> {
  return { kind: "stream", path };
}

/** Makes a portal ref for `path` with an optional routing key function. */
export function portalRef<Req, Rep>(path: string, key?: (request: Req) => Key): PortalRef<Req, Rep> {
  const ref: PortalRef<Req, Rep> = {
    kind: "portal",
    path,
    ...(key ? { key } : {}),
    // The declared type is the user's view (`await` gives `Rep`); compiled code gets the handle.
    request: (request: Req) => issueRequest(ref, request) as RequestHandle as unknown as Promise<Rep>,
  };
  return ref;
}
