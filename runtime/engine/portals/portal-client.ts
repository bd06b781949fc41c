/**
 * The asking side of a task: sends the portal requests its operators make, numbered per task
 * (so ids are deterministic and survive a restore), only to the portals the task declared.
 */
import type { Key } from "../../core/key.js";
import type { RequestMessage } from "../../core/messages.js";
import { post, type PortalOutbox } from "./outbox.js";

/** See the module header. */
export class PortalClient {
  /** Id of the next request (ids start at 1). */
  nextRequest = 1;
  private readonly asks: ReadonlySet<string>;
  /** The portal ref of the last request, known to be declared. */
  private checkedPortal: object | undefined;

  constructor(
    private readonly workflow: string,
    private readonly task: string,
    asks: readonly string[],
    private readonly outbox: PortalOutbox,
  ) {
    this.asks = new Set(asks);
  }

  /**
   * Sends `payload` to `portal` under `key`; returns the request id.
   *
   * @throws Error when the task did not declare `portal`
   */
  send(portal: { readonly path: string }, payload: unknown, key: Key): number {
    // A task asks the same portal again and again: check the declaration once per portal ref.
    if (portal !== this.checkedPortal && !this.asks.has(portal.path)) {
      throw new Error(
        `workflow ${this.workflow}, task ${this.task}: request to portal ${portal.path}, which this task did not declare; ` +
          "list it in the portals of asker(portals, fn) or askerReplier(asks, ...)",
      );
    }
    this.checkedPortal = portal;
    const id = this.nextRequest++;
    const message: RequestMessage = { type: "request", portal: portal.path, asker: this.workflow, askerTask: this.task, askerKey: key, id, payload };
    post(this.outbox, key, message);
    return id;
  }
}
