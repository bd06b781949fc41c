/**
 * The task whose callbacks are running right now. The engine runs one task at a time on one
 * thread, so `portal.request(...)` (a method on a ref that knows no system) finds its asker here.
 */
import type { RequestHandle } from "./machine.js";

/** The part of a running task that issues portal requests. */
export interface Requester {
  /** Sends `payload` to the portal at `portal.path` for the current key and invocation. */
  request(portal: { readonly path: string }, payload: unknown): RequestHandle;
}

let active: Requester | null = null;

/** Makes `requester` the running task (`null`: none) and returns the previous one to restore. */
export function activate(requester: Requester | null): Requester | null {
  const previous = active;
  active = requester;
  return previous;
}

/**
 * Issues a portal request from the running task (the body of `PortalRef.request`).
 *
 * @throws Error when no operator is running (a request from plain code or a timer).
 */
export function issueRequest(portal: { readonly path: string }, payload: unknown): RequestHandle {
  if (active === null) {
    throw new Error(
      `${portal.path}.request() was called outside of a running operator. ` +
        "Portal requests can only be made inside an asker or asker-replier callback while it runs.",
    );
  }
  return active.request(portal, payload);
}
