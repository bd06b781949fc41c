/**
 * The serving side of a replier task: the request being served, its one reply (`ctx.reply`),
 * and the error reply of a request whose handler threw or finished without replying, so an
 * asker never waits forever (docs/semantics.md, rule 9).
 */
import type { Key } from "../../core/key.js";
import type { LogWriter } from "../../core/log.js";
import type { ReplyMessage, RequestMessage } from "../../core/messages.js";
import { post, type PortalOutbox } from "./outbox.js";

/** A request being served, and whether it was answered. */
export interface Serving {
  readonly request: RequestMessage;
  replied: boolean;
}

/** Why a request failed when its handler ended without `ctx.reply`. */
export const NO_REPLY = "the replier finished serving it without calling ctx.reply";

/** See the module header. */
export class PortalServer {
  /** The request being served while a request handler (or its continuation) runs. */
  serving: Serving | null = null;

  constructor(
    private readonly workflow: string,
    private readonly task: string,
    private readonly write: LogWriter,
    private readonly outbox: PortalOutbox,
  ) {}

  /**
   * `ctx.reply(value)`: answers the request being served.
   *
   * @throws Error when no request is being served, or it was answered already
   */
  reply(value: unknown): void {
    const s = this.serving;
    if (s === null) {
      throw new Error(
        `workflow ${this.workflow}, task ${this.task}: ctx.reply() was called while no request is being served; ` +
          "reply from the replier's request handler (onAsk) or its continuation",
      );
    }
    if (s.replied) {
      throw new Error(
        `workflow ${this.workflow}, task ${this.task}: ctx.reply() was called twice for request ${s.request.id} ` +
          `to portal ${s.request.portal}; a request gets exactly one reply`,
      );
    }
    s.replied = true;
    this.send(s.request, true, value);
  }

  /**
   * Fails the request `serving` serves with `reason` (its handler, running under `key`, threw or
   * did not reply); a handler that throws after replying is only reported.
   */
  fail(serving: Serving, reason: string, key: Key): void {
    const r = serving.request;
    const where = `workflow ${this.workflow}, task ${this.task}, key ${JSON.stringify(key)}`;
    const meta = { workflow: this.workflow, task: this.task, key };
    if (serving.replied) {
      // The asker already has its reply: the request did not fail, the handler did, after it.
      this.write(`${where}: the request handler threw after replying to request ${r.id} to portal ${r.portal}: ${reason}`, { level: "error", ...meta });
      return;
    }
    this.write(`request ${r.id} to portal ${r.portal} from ${r.asker} failed in ${where}: ${reason}`, { level: "warn", ...meta });
    serving.replied = true;
    this.send(r, false, `${reason} (${where})`);
  }

  /** Sends the reply to `r`: `value` when `ok`, else the failure's reason (a string). */
  private send(r: RequestMessage, ok: boolean, value: unknown): void {
    const message: ReplyMessage = ok
      ? { type: "reply", portal: r.portal, asker: r.asker, askerTask: r.askerTask, askerKey: r.askerKey, id: r.id, ok: true, value }
      : { type: "reply", portal: r.portal, asker: r.asker, askerTask: r.askerTask, askerKey: r.askerKey, id: r.id, ok: false, reason: value as string };
    post(this.outbox, r.askerKey, message);
  }
}
