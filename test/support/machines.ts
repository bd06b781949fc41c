/**
 * Hand-written machines for runtime tests that must control every step of a continuation
 * (the compiler's own output is tested under test/compiler). `script(id, segments)` is the
 * machine of an async function cut at its awaits: segment `i` runs after the `i`-th await with
 * that await's result, and returns what to await next (a request handle from {@link ask}, or
 * an array of them for `Promise.all`) or `undefined` to return.
 */
import type { LogWriter, PortalRef } from "portals-ts";
import { defineMachine, request, Step, type Machine, type RequestHandle, type ResumeInput } from "portals-ts/machine";

/** Locals of a scripted call: `args` are the callback's arguments, the rest is free. */
export type Locals = { args: unknown[] } & Record<string, any>;

/** One piece of an async function between two awaits. */
export type Segment = (locals: Locals, ctx: any, input: ResumeInput) => unknown;

/** The value an await gives: the reply, or the error it throws. */
export function valueOf(input: ResumeInput): any {
  if (input.kind === "throw") throw input.error;
  return input.kind === "value" ? input.value : undefined;
}

/** Sends `payload` to `portal` from the machine resumed with `ctx`, as compiled code does. */
export function ask<Req>(ctx: unknown, portal: PortalRef<Req, unknown>, payload: Req): RequestHandle {
  return request(ctx, portal, payload) as RequestHandle;
}

/** Builds the machine of `segments`; a segment's return value is awaited unless it is undefined. */
export function script(id: string, segments: Segment[]): Machine {
  return defineMachine({
    id,
    resume(frame, ctx, input) {
      const segment = segments[frame.pc];
      if (segment === undefined) throw new Error(`${id}: no segment ${frame.pc}`);
      const next = segment(frame.locals as Locals, ctx, input);
      frame.pc++;
      if (next === undefined) return Step.return();
      if (isReturn(next)) return Step.return(next.value);
      return Array.isArray(next) ? Step.awaitAll(next as RequestHandle[]) : Step.await(next as RequestHandle);
    },
  });
}

const RETURN = Symbol("return");

/** A segment result that ends the call with `value`. */
export function returns(value: unknown): { [RETURN]: true; value: unknown } {
  return { [RETURN]: true, value };
}

function isReturn(x: unknown): x is { value: unknown } {
  return typeof x === "object" && x !== null && RETURN in x;
}

/** A log writer that collects the info lines (logger and ctx.log.info) in `lines`. */
export function collecting(): { lines: string[]; log: LogWriter } {
  const lines: string[] = [];
  return { lines, log: (line, meta) => void (meta.level === "info" && lines.push(line)) };
}
