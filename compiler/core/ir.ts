/**
 * The continuation IR: how an async function becomes a machine (docs/compiler.md, "Lowering").
 *
 * An async operator callback (or an async helper it awaits) is cut at its awaits into *blocks*.
 * A block is straight-line code followed by one *terminator*; the block's number is the `pc`
 * of the machine frame (`runtime/core/machine.ts`). Everything the function keeps across an await
 * lives in the frame's locals, so a suspended call is plain data.
 *
 * Lowering (`lower/`: `statements.ts` and `expressions.ts` take code apart, `flow.ts` builds
 * the blocks, `temps.ts` keeps evaluation order, `rewrite.ts` keeps await-free code and assigns
 * declared patterns to frame slots) works statement by statement. A statement without an await is kept as it is, with three
 * rewrites: references to frame locals become `$L.name`, a `return` becomes
 * `return $rt.done(value)` (or goes through a `finally`, below), and a `break`/`continue` that
 * leaves the statement for a lowered loop, switch or label becomes a jump. A statement with an
 * await is taken apart into blocks:
 *
 *   if / conditional / && || ??    the test ends the block with a `branch`; both arms jump to a
 *                                  join block, so the right operand never runs when
 *                                  short-circuited
 *   while / do / for               test, body and update blocks; `break` and `continue` jump
 *   for…of                         `$L.$tN = $rt.iterable(xs)` and an index in the frame (an
 *                                  array is read live by index, as its iterator does; any other
 *                                  iterable is taken as an array when the loop starts)
 *   for…in                         `$rt.keys(obj)` when the loop starts; a key deleted before
 *                                  its turn is skipped, as in JavaScript
 *   switch                         the case tests in order, then the case bodies laid out in
 *                                  order so that fall-through is a jump to the next body
 *   try / catch / finally          see "Exceptions" below
 *   labelled statements            the label names the break/continue targets of its loop
 *
 * Expressions keep JavaScript's evaluation order: when an operand contains an await, every
 * operand left of it is first *spilled* to a temporary frame slot `$tN` (so `x * await r`
 * reads `x` before suspending, and `await a + await b` suspends twice, in order). A method
 * callee `o.m(await a)` spills `o` but looks `m` up after the await: functions are not data.
 *
 * Terminators, and the code emitted for each (`emit.ts`), where `$f` is the frame, `$L` its
 * locals, `$in` the resume input and `$dispatch` the machine's dispatch loop:
 *
 *   goto B            $f.pc = B; continue $dispatch;
 *   branch c ? B : C  $f.pc = c ? B : C; continue $dispatch;
 *   suspend r -> B    $f.pc = B; return $rt.suspend(r, where);      // await portal.request(..)
 *   suspendAll r -> B $f.pc = B; return $rt.suspendAll(r, where);   // await Promise.all(r)
 *   call h(a) -> B    $f.pc = B; return $rt.call(h, [a], where);    // await helper(a)
 *   return v          return $rt.done(v);
 *   throw v           throw v;
 *   endFinally k      dispatch on the completion stored in $L.$ck (below)
 *
 * Requests: every `x.request(args)` in the blocks is emitted as `$rt.request(ctx, x, args)`
 * (`requests.ts`), which sends a portal ref's request through the task running the machine.
 *
 * A block B that a suspension resumes starts with `$L.$tN = $rt.value($in)`, which throws the
 * error of a failed request into the block, where the exception table (below) catches it.
 *
 * Exceptions. Each lowered `try` is an *entry* k with a catch block, a finally block, or both.
 * Every block records the innermost entry whose try (or catch) part it belongs to. The machine
 * body runs inside one native `try`; its `catch` switches on `$f.pc`: a block in the try part of
 * an entry with a catch stores the error in `$L.$ek` and jumps to the catch block; a block in
 * the try or catch part of an entry with a finally stores `{ type: "throw", value }` in
 * `$L.$ck` and jumps to the finally; other blocks rethrow. A `return`, `break` or `continue`
 * that leaves a try part with a finally stores `{ type: "return", value }` or
 * `{ type: "jump", target }` in `$L.$ck` and jumps to the finally; normal completion stores
 * nothing. `endFinally k` then rethrows, returns, or jumps on, through the next enclosing
 * finally if the target lies outside it: every path through finally blocks is known at
 * compile time, so completions are plain data (`type`, `value`, `target` as a pc).
 *
 * Frames. Parameters and every variable whose scope contains an await are frame slots (named
 * after the variable; shadowed names get `$1`, `$2`, …). Variables of await-free scopes stay
 * ordinary JavaScript variables, so per-iteration `let` bindings of those loops keep their
 * closures' semantics. The task context parameter (`ctx`), portal refs and every binding from
 * outside the function are never stored: they are re-bound on every resume because the step
 * function is a closure in the same scope as the original function. Before a suspension, the
 * slots that may hold a value but are dead there (`liveness.ts`), and the temporaries of
 * finished statements, are cleared in one statement (`$L.a = $L.$t1 = void 0;`), so a snapshot
 * holds only live data.
 */
import type * as ts from "typescript";

/**
 * A block: straight-line statements ending with the code of its terminator (a jump, a
 * suspension, a return or a throw). `id` is its pc. Jump targets are block ids allocated when
 * the target is first needed, so jumps are emitted at once as `$f.pc = id; continue $dispatch`.
 */
export interface Block {
  readonly id: number;
  readonly statements: ts.Statement[];
  /** Where an exception thrown in this block goes (from the `try` context it was placed in). */
  readonly handler: Handler | undefined;
  /** True once the block ends with a terminator. */
  terminated: boolean;
}

/** Where an exception thrown in a block goes: a catch block or a finally block of entry `entry`. */
export interface Handler {
  readonly kind: "catch" | "finally";
  readonly entry: number;
  /** The catch or finally block. */
  readonly target: number;
  /** Frame slot that receives the error (catch) or the `throw` completion (finally). */
  readonly slot: string;
}

/** How a call's arguments reach the frame: slot names by argument position. */
export interface Param {
  /** Frame slot receiving the argument (or the rest array). */
  readonly slot: string;
  /** True for a rest parameter: the slot gets the remaining arguments as an array. */
  readonly rest: boolean;
}

/** Generated identifiers of one file (chosen not to collide with the user's). */
export interface Names {
  /** The frame parameter of `resume`. */
  readonly frame: string;
  /** The frame's locals. */
  readonly locals: string;
  /** The resume input parameter. */
  readonly input: string;
  /** The namespace import of `portals-ts/machine`. */
  readonly rt: string;
  /** The caught error in the machine's native catch. */
  readonly error: string;
  /** The label of the dispatch loop. */
  readonly dispatch: string;
  /** The completion read by an `endFinally`. */
  readonly completion: string;
  /** The argument array of `begin`. */
  readonly args: string;
  /** The context parameter of `resume` when the function has none of its own (helpers). */
  readonly ctx: string;
}

/**
 * How an awaited expression suspends: `request` and `value` (a request handle) with `suspend`,
 * `all` with `suspendAll`, `helper` with `call`.
 */
export type AwaitKind = "request" | "all" | "helper" | "value";

/** A lowered function: its blocks (block `i` has pc `i`) and how its frame starts. */
export interface LoweredFunction {
  readonly blocks: readonly Block[];
  /** Arguments to frame slots, in order (the task context parameter is not an argument). */
  readonly params: readonly Param[];
  /** Name of the task context parameter (re-bound by `resume`), if the function has one. */
  readonly contextName: string | undefined;
  /** Statements run at the start of every resume (hoisted inner function declarations). */
  readonly prologue: readonly ts.Statement[];
}
