/**
 * Where the tasks of one workflow put the portal requests and replies they send during a step;
 * the workflow executor sends them on as one portal atom at the end of the step.
 */
import type { Key } from "../../core/key.js";
import type { PortalMessage } from "../../core/messages.js";
import type { Batch } from "../atom.js";

/** Shared by the tasks of one workflow. */
export interface PortalOutbox {
  out: Batch;
}

/** Adds `message` to the outbox under `key` (the asker's key, for requests and replies alike). */
export function post(outbox: PortalOutbox, key: Key, message: PortalMessage): void {
  const out = outbox.out;
  out.keys.push(key);
  out.values.push(message);
}
