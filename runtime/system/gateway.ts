/**
 * The gateway of an application: how a live system asks its portals for callers outside the
 * dataflow (`LiveSystem.ask`, `POST /v1/portals/…`). For every launched application with
 * portals the system launches one more application, `portals.http.<name>`, built with the
 * public builders (docs/live.md, "Asking from outside"):
 *
 *   generators/asks          ingestion source: one event per outside ask, the asks queued
 *                            while the system is busy in one atom
 *   workflows/asks           key(ask => ask.key) → asker over every portal of the application
 *                            → a sink that hands each answer to its caller once a checkpoint
 *                            has stored the state change behind it
 *
 * The asker is keyed by the ask's idempotency key (or a key of its own), and keeps in per-key
 * state the ids waiting for the answer and, for an idempotent ask, the answer itself: a retry
 * waits for the ask in flight or gets the stored answer without asking again, also after a
 * restore, since that state is in every snapshot.
 */
import { describe } from "../core/errors.js";
import { fingerprint } from "../core/fingerprint.js";
import { SYSTEM_APP_PREFIX } from "../core/paths.js";
import { defineMachine, REQUESTER, Step, type Machine, type Requester } from "../core/machine.js";
import type { SinkState, SinkWriter, Sink } from "../core/sink.js";
import type { Application } from "../api/application.js";
import { PortalsApp } from "../api/application-builder.js";
import type { PortalRef } from "../api/refs.js";
import type { Engine } from "../engine/engine.js";

/** The asker's per-key entry holding when a kept answer was asked (what sweeps read). */
const ANSWERED_AT = "answeredAt";

/** One ask from outside, as the gateway's ingestion source carries it. */
export interface GatewayAsk {
  /** Id of the caller waiting for the answer (unique per process start). */
  readonly id: string;
  /** Key the asker runs under: `k:<portal path>:<idempotency key>`, or `r:<id>` for an ask without one. */
  readonly key: string;
  /** True when the answer is kept for retries with the same key. */
  readonly idempotent: boolean;
  /** Path of the portal asked. */
  readonly portal: string;
  readonly request: unknown;
  /** When it was asked, in milliseconds since the epoch (the kept answer's age counts from it). */
  readonly at: number;
  /** Set on a sweep instead of an ask: the key's kept answer goes if it was asked at or before this time. */
  readonly expire?: number;
}

/** The answer to one caller: the reply, the replier's error message, or why its idempotency key was refused. */
export type GatewayAnswer = { readonly id: string } & ({ readonly reply: unknown } | { readonly error: string } | { readonly reused: string });

/** The name of the gateway of the application named `app`. */
export function gatewayName(app: string): string {
  return `${SYSTEM_APP_PREFIX}http.${app}`;
}

/** Path of the ingestion generator of a gateway application at `gateway` (a path). */
export function gatewayInput(gateway: string): string {
  return `${gateway}/generators/asks`;
}

/** Where a gateway's answers go. */
export interface AnswerDesk {
  /** An answer was staged: it waits for the next checkpoint. */
  staged(): void;
  /** An answer a checkpoint released (also to callers of an earlier process start: ignore unknown ids). */
  deliver(answer: GatewayAnswer): void;
}

/** The gateway of `app`, or `undefined` when it has no portals. */
export function gatewayOf(app: Application, desk: AnswerDesk): Application | undefined {
  const portals = app.model.portals.map((p) => p.path);
  if (portals.length === 0) return undefined;
  return PortalsApp(gatewayName(app.name), (g) => {
    const refs = new Map(portals.map((path) => [path, g.registry.portals.get<unknown, unknown>(path)]));
    const asks = g.generators.http<GatewayAsk>("asks", { coalesce: true });
    g.workflows<GatewayAsk, GatewayAnswer>("asks")
      .source(asks.stream)
      .key((ask) => ask.key)
      .asker<GatewayAnswer>([...refs.values()], askMachine(refs) as never)
      .sink(answerSink(desk));
  });
}

/** The gateway's asker, written as a machine (the protocol of `core/machine.ts`). */
function askMachine(refs: ReadonlyMap<string, PortalRef<unknown, unknown>>): Machine {
  return defineMachine({
    id: "portals-ts/system/gateway#ask",
    version: "1",
    begin: (args) => ({ ask: args[0] }),
    resume(frame, ctx, input) {
      const ask = frame.locals["ask"] as GatewayAsk;
      if (frame.pc === 0 && ask.expire !== undefined) {
        const answered = ctx.state.get(ANSWERED_AT) as number | undefined;
        if (answered !== undefined && answered <= ask.expire) for (const name of ["request", "answer", ANSWERED_AT]) ctx.state.del(name);
        return Step.return();
      }
      if (frame.pc === 0) {
        // A key names one request: the same key with another request is refused, not answered with the first's answer.
        const asked = ctx.state.get("request") as string | undefined;
        const request = ask.idempotent ? fingerprint(ask.request) : undefined;
        if (asked !== undefined && asked !== request) {
          ctx.emit({ id: ask.id, reused: "this idempotency key was used with another request; use a new key for a new request" });
          return Step.return();
        }
        if (request !== undefined) ctx.state.set("request", request);
        const known = ctx.state.get("answer") as { reply: unknown } | { error: string } | undefined;
        if (known !== undefined) {
          ctx.emit({ id: ask.id, ...known });
          return Step.return();
        }
        const waiting = ctx.state.get("waiting") as string[] | undefined;
        ctx.state.set("waiting", [...(waiting ?? []), ask.id]);
        if (waiting !== undefined) return Step.return();
        frame.pc = 1;
        return Step.await((ctx[REQUESTER] as Requester).request(refs.get(ask.portal)!, ask.request));
      }
      const answer = input.kind === "throw" ? { error: describe(input.error) } : { reply: input.kind === "value" ? input.value : undefined };
      for (const id of ctx.state.get("waiting") as string[]) ctx.emit({ id, ...answer });
      ctx.state.del("waiting");
      if (ask.idempotent) {
        ctx.state.set("answer", answer);
        ctx.state.set(ANSWERED_AT, ask.at);
      }
      return Step.return();
    },
  });
}

/** A transactional sink whose commit hands the answers to their callers. */
function answerSink(desk: AnswerDesk): Sink<GatewayAnswer> {
  return {
    kind: "sink",
    description: "answers to outside asks",
    open(): SinkWriter {
      let committed = 0;
      let staged: GatewayAnswer[] = [];
      return {
        stage(events) {
          staged.push(...(events as GatewayAnswer[]));
          desk.staged();
        },
        save: (): SinkState => ({ committed, staged: [...staged] }),
        commit(count = staged.length) {
          const out = staged.slice(0, count);
          staged = staged.slice(count);
          committed += out.length;
          for (const answer of out) desk.deliver(answer);
        },
        reset() {
          committed = 0;
          staged = [];
        },
        recover(state) {
          committed = state.committed;
          staged = [...(state.staged as GatewayAnswer[])];
        },
        close() {},
      };
    },
  };
}

/**
 * The events that drop the kept answers of the gateway of application `app` (a path) asked at
 * or before `cutoff` (milliseconds since the epoch): one per key, each run under its key, so
 * a sweep is as deterministic as any ask.
 */
export function expiriesOf(engine: Engine, app: string, cutoff: number): GatewayAsk[] {
  const out: GatewayAsk[] = [];
  for (const runner of engine.workflows.get(`/${gatewayName(app.slice(1))}/workflows/asks`)?.runners ?? []) {
    for (const [key, at] of runner.store.perKey.get(ANSWERED_AT) ?? []) {
      if ((at as number) <= cutoff) out.push({ id: "", key: key as string, idempotent: false, portal: "", request: null, at: cutoff, expire: cutoff });
    }
  }
  return out;
}
