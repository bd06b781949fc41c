/**
 * The serving side of a replier task: the request being served, its one reply (`ctx.reply`),
 * and the error reply of a request whose handler threw or finished without replying, so an
 * asker never waits forever (docs/semantics.md, rule 9).
 */
import { describe, OperatorError, withoutPrefix } from "../../core/errors.js";
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
   * Fails the request `serving` serves: its handler, running under `key`, threw `thrown`. A
   * handler that throws after replying is only reported: the asker has its reply.
   */
  fail(serving: Serving, key: Key, thrown: unknown): void {
    const error = new OperatorError(this.workflow, this.task, key, thrown);
    const reason = withoutPrefix(describe(thrown), `workflow ${this.workflow}, task ${this.task}`);
    if (serving.replied) {
      const r = serving.request;
      // The asker already has its reply: the request did not fail, the handler did, after it.
      this.write(`${this.where(key)}: the request handler threw after replying to request ${r.id} to portal ${r.portal}: ${reason}`, {
        level: "error",
        workflow: this.workflow,
        task: this.task,
        key,
        error,
      });
      return;
    }
    this.failRequest(serving, key, reason, error);
  }

  /** Fails the request `serving` serves: its handler, running under `key`, ended without `ctx.reply`. */
  noReply(serving: Serving, key: Key): void {
    this.failRequest(serving, key, NO_REPLY, undefined);
  }

  private failRequest(serving: Serving, key: Key, reason: string, error: OperatorError | undefined): void {
    const r = serving.request;
    const where = this.where(key);
    const meta = { level: "warn", workflow: this.workflow, task: this.task, key } as const;
    this.write(`request ${r.id} to portal ${r.portal} from ${r.asker} failed in ${where}: ${reason}`, error === undefined ? meta : { ...meta, error });
    serving.replied = true;
    this.send(r, false, `${reason} (${where})`);
  }

  private where(key: Key): string {
    return `workflow ${this.workflow}, task ${this.task}, key ${JSON.stringify(key)}`;
  }

  /** Sends the reply to `r`: `value` when `ok`, else the failure's reason (a string). */
  private send(r: RequestMessage, ok: boolean, value: unknown): void {
    const message: ReplyMessage = ok
      ? { type: "reply", portal: r.portal, asker: r.asker, askerTask: r.askerTask, askerKey: r.askerKey, id: r.id, ok: true, value }
      : { type: "reply", portal: r.portal, asker: r.asker, askerTask: r.askerTask, askerKey: r.askerKey, id: r.id, ok: false, reason: value as string };
    post(this.outbox, r.askerKey, message);
  }
}
