/**
 * Portal requests and replies as events. After portal expansion (graph/expand.ts) they travel through
 * ordinary internal streams, splitters and sequencers; these are their payloads. Plain data.
 */
import type { Key } from "./key.js";

/** Who asked: enough to route the reply back and resume the right continuation. */
interface Addressed {
  /** Path of the portal. */
  readonly portal: string;
  /** Path of the asking workflow. */
  readonly asker: string;
  /** Name of the asking task in that workflow. */
  readonly askerTask: string;
  /** Key the asking task ran under; the reply and the continuation use it (docs/semantics.md, rule 8). */
  readonly askerKey: Key;
  /** Request id, unique within the asking task. */
  readonly id: number;
}

/** A request to a portal. */
export interface RequestMessage extends Addressed {
  readonly type: "request";
  readonly payload: unknown;
}

/** The answer to a request: a value, or the reason the replier failed it. */
export interface ReplyMessage extends Addressed {
  readonly type: "reply";
  readonly ok: boolean;
  /** The reply when `ok`. */
  readonly value?: unknown;
  /** Why the request failed when not `ok`. */
  readonly reason?: string;
}

export type PortalMessage = RequestMessage | ReplyMessage;
