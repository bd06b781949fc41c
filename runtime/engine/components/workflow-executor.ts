/**
 * Workflows at run time (docs/semantics.md, rules 1 to 4; reference `InterpreterWorkflow`). One step processes
 * one atom of the workflow's input, batch at a time: each task, in topological order, handles
 * the whole atom before the next task sees it, and the sink's output becomes one atom of the
 * output stream (empty atoms included, so downstream atom boundaries line up).
 *
 * Portal atoms (requests and replies, from the expanded portal graph) go straight to the task
 * they address; the tasks downstream of it see what it emitted as an atom of their own, and the
 * output gets an atom only if something reached the sink. Requests and replies the tasks send
 * during a step leave as one portal atom on the workflow's portal stream.
 *
 * The end of the input (seal) is held back while continuations of this workflow are parked.
 * Then the end runs task by task: each task handles what its upstream emitted at the end, and
 * runs `onComplete` once the continuations that started are done (the end waits at that task,
 * and what was emitted before it goes on as an atom of its own); the output stream ends after
 * the last task's `onComplete`, so no continuation's output is lost (docs/semantics.md, rule 1).
 * A workflow that serves a portal still serves requests after that (its state lives on), but
 * events it emits then have no stream to go to: they are dropped with a warning. A service that
 * must keep emitting needs an input that does not end, e.g. one fed through a sequencer.
 *
 * Failed events (docs/semantics.md, rule 10) go to the workflow's dead-letter stream, if it has
 * one, as one atom per step; it ends with the output stream. Events the sink target refuses
 * fail there too and are left out of the output.
 */
import { OperatorError } from "../../core/errors.js";
import type { Key } from "../../core/key.js";
import type { LogWriter } from "../../core/log.js";
import type { PortalMessage } from "../../core/messages.js";
import type { SinkRefusal, SinkWriter } from "../../core/sink.js";
import type { SystemStats } from "../../core/stats.js";
import type { PlanWorkflow } from "../../graph/plan.js";
import { atom, batch, sealAtom, type Atom, type Batch } from "../atom.js";
import type { PortalOutbox } from "../portals/outbox.js";
import { Rank, type Component } from "../scheduler.js";
import type { AtomicStream, Cursor } from "../stream.js";
import { post, take, type DeadLetterBox } from "../tasks/failures.js";
import { TaskRunner, type RunnerDelta, type RunnerState } from "../tasks/task-runner.js";
import type { FlowControl } from "./flow-control.js";
import { fuse, type Fused } from "./fusion.js";

/** A workflow as plain data (snapshots): a held-back end of input, and its tasks. */
export interface WorkflowState<R = RunnerState> {
  readonly seal: Atom | null;
  /** The task whose `onComplete` the end waits to run (its continuations are parked), or `null`. */
  readonly ending: number | null;
  readonly sealed: boolean;
  readonly warnedAfterEnd: boolean;
  readonly runners: readonly R[];
}

const SOURCE = -1;

/** A workflow component. */
export class WorkflowExecutor implements Component {
  readonly path: string;
  private readonly cursor: Cursor;
  private readonly tasks: PlanWorkflow["tasks"];
  private readonly sinks: readonly number[];
  private readonly byName = new Map<string, number>();
  /** Fused stateless chains by their first task. */
  private readonly chains: (Fused | undefined)[] = [];
  private seal: Atom | undefined;
  /** See {@link WorkflowState.ending}. */
  private ending: number | undefined;
  private sealed = false;
  private stopped = false;
  /** Atoms and events this workflow processed since the system started (not in snapshots). */
  atoms = 0;
  events = 0;
  private warnedAfterEnd = false;
  /** In a live engine, the flow control of its input (`flow-control.ts`). */
  private flow: FlowControl | undefined;

  /**
   * @param portalOut the stream of the workflow's requests and replies (portal workflows only)
   * @param outbox where `runners` put the requests and replies of a step
   * @param runners one runner per task of `plan`, same order
   */
  constructor(
    private readonly plan: PlanWorkflow,
    source: AtomicStream,
    private readonly out: AtomicStream,
    private readonly portalOut: AtomicStream | undefined,
    private readonly outbox: PortalOutbox,
    readonly runners: readonly TaskRunner[],
    private readonly stats: SystemStats,
    private readonly schedule: (c: Component) => void,
    private readonly write: LogWriter,
    /** The transactional sink the output also goes to, if the workflow has one. */
    private readonly target: SinkWriter | undefined,
    /** The dead-letter stream and the box `runners` put failed events in, if the workflow has one. */
    private readonly dead?: { readonly stream: AtomicStream; readonly box: DeadLetterBox },
  ) {
    this.path = plan.path;
    this.tasks = plan.tasks;
    this.sinks = plan.sinks;
    this.tasks.forEach((t, i) => this.byName.set(t.name, i));
    for (const chain of fuse(plan.path, plan.tasks, plan.sinks)) this.chains[chain.first] = chain;
    this.cursor = source.subscribe(this);
  }

  /**
   * The workflow as plain data (between steps, when no requests or replies are pending); with
   * `delta`, each task's state as the keys written since the previous save.
   */
  save(delta: true): WorkflowState<RunnerDelta>;
  save(delta?: false): WorkflowState;
  save(delta = false): WorkflowState<RunnerState | RunnerDelta> {
    const runners = this.runners.map((r) => (delta ? r.saveDelta() : r.save()));
    if (!delta) for (const r of this.runners) r.trackChanges();
    return { seal: this.seal ?? null, ending: this.ending ?? null, sealed: this.sealed, warnedAfterEnd: this.warnedAfterEnd, runners };
  }

  /** Puts back a saved workflow (see `TaskRunner.load`). */
  load(saved: WorkflowState): void {
    this.seal = saved.seal ?? undefined;
    this.ending = saved.ending ?? undefined;
    this.sealed = saved.sealed;
    this.warnedAfterEnd = saved.warnedAfterEnd;
    saved.runners.forEach((r, i) => this.runners[i]!.load(r));
  }

  wake(): void {
    this.schedule(this);
  }

  rank(): number {
    return this.cursor.portalPending > 0 ? Rank.portal : Rank.workflow;
  }

  ready(): boolean {
    return this.cursor.hasNext();
  }

  stop(seal: boolean): void {
    if (!this.sealed && seal) this.out.append(sealAtom());
    this.sealed = true;
    this.stopped = true;
  }

  step(): void {
    const a = this.cursor.next();
    // Stopped: what still comes is dropped, so the stream it reads does not keep it.
    if (this.stopped) return;
    this.stats.atoms++;
    this.stats.events += a.values.length;
    this.atoms++;
    this.events += a.values.length;
    if (a.portal) this.portalAtom(a);
    else if (a.seal) this.seal = a;
    else this.emit(this.run(a), false);
    if (this.seal !== undefined && !this.sealed) this.tryEnd();
    this.flushPortalOut();
    this.flushDeadLetters();
    this.flow?.stepped();
  }

  /** Continuations of its tasks parked now. */
  get parked(): number {
    let n = 0;
    for (const r of this.runners) n += r.parkedCount;
    return n;
  }

  /** Lets the held input of the workflow pass again once enough of its continuations ended (`flow-control.ts`). */
  controlFlow(flow: FlowControl): void {
    this.flow = flow;
  }

  /**
   * Runs the tasks over `input` in order (stateless chains as one loop, see `fusion.ts`);
   * returns what reaches the sink.
   */
  private run(input: Batch): Batch {
    const outputs: Batch[] = new Array(this.tasks.length);
    for (let i = 0; i < this.tasks.length; i++) {
      const chain = this.chains[i];
      if (chain !== undefined) {
        try {
          outputs[chain.last] = chain.run(this.gather(this.tasks[i]!.inputs, input, outputs)!);
          i = chain.last;
          continue;
        } catch {
          // A callback threw: run the chain's tasks one by one, which reports it as usual.
        }
      }
      const out = batch();
      this.runners[i]!.runAtom(this.gather(this.tasks[i]!.inputs, input, outputs)!, out, true);
      outputs[i] = out;
    }
    return this.gather(this.sinks, input, outputs)!;
  }

  /**
   * Runs the tasks from `from` on, as one atom, over what tasks before it left in `outputs` (the
   * end's output so far) and, for a portal atom, each task's `messages` (requests it serves and
   * replies it resumes with) first: tasks that get nothing do not run. Returns what reaches the
   * sink, or `undefined`.
   */
  private runFrom(from: number, outputs: (Batch | undefined)[], messages: readonly (PortalMessage[] | undefined)[] = []): Batch | undefined {
    const serves = this.plan.portals?.serves;
    for (let i = from; i < this.tasks.length; i++) {
      const upstream = this.gather(this.tasks[i]!.inputs, undefined, outputs);
      const mine = messages[i];
      if (mine === undefined && upstream === undefined) continue;
      const runner = this.runners[i]!;
      const out = batch();
      for (const m of mine ?? []) {
        if (m.type === "request") runner.serve(m, serves!.get(m.portal)!.key, out);
        else runner.resume(m, out);
      }
      if (upstream !== undefined) runner.runAtom(upstream, out, true);
      if (out.values.length > 0 || out.error !== undefined) outputs[i] = out;
    }
    return this.gather(this.sinks, undefined, outputs);
  }

  /**
   * The input of a task (or of the sink): the outputs of `from` concatenated in order; the first
   * error wins. With one input the batch is shared, not copied. Skipped tasks (portal atoms)
   * contribute nothing; `undefined` when nothing arrives.
   */
  private gather(from: readonly number[], source: Batch | undefined, outputs: (Batch | undefined)[]): Batch | undefined {
    if (from.length === 1) return from[0] === SOURCE ? source : outputs[from[0]!];
    let merged: Batch | undefined;
    for (const i of from) {
      const b = i === SOURCE ? source : outputs[i];
      if (b === undefined) continue;
      merged ??= batch();
      for (let j = 0; j < b.values.length; j++) {
        merged.keys.push(b.keys[j]!);
        merged.values.push(b.values[j]);
      }
      merged.error ??= b.error;
    }
    return merged;
  }

  private portalAtom(a: Atom): void {
    const serves = this.plan.portals!.serves;
    const messages: PortalMessage[][] = [];
    // Messages come in runs for the same portal or asking task: look each name up once per run.
    let portal: string | undefined, portalTask: number | undefined;
    let asker: string | undefined, askerTask: number | undefined;
    for (const m of a.values as PortalMessage[]) {
      let task: number | undefined;
      if (m.type === "request") {
        if (m.portal !== portal) (portal = m.portal), (portalTask = serves.get(portal)?.task);
        task = portalTask;
      } else {
        if (m.askerTask !== asker) (asker = m.askerTask), (askerTask = this.byName.get(asker));
        task = askerTask;
      }
      if (task === undefined) continue; // expansion routes only messages for this workflow here
      (messages[task] ??= []).push(m);
    }
    const result = this.runFrom(0, new Array(this.tasks.length), messages);
    if (result === undefined) return;
    if (!this.sealed) this.emit(result, false);
    else if (result.values.length > 0) this.dropAfterEnd(result.values.length, "emitted");
  }

  /** Starts the end of the input once no continuation of this workflow is parked, or goes on with it. */
  private tryEnd(): void {
    if (this.ending !== undefined) {
      if (this.runners[this.ending]!.parkedCount === 0) this.runEnd(this.ending);
      return;
    }
    for (const r of this.runners) if (r.parkedCount > 0) return;
    this.runEnd(-1);
  }

  /**
   * Runs the end of the input task by task (see the module header), from the task after
   * `waited`, whose `onComplete` runs first when it is a task the end waited at. Tasks that
   * read the workflow's source get the seal's events (what `onComplete` emitted upstream).
   */
  private runEnd(waited: number): void {
    const seal = this.seal!;
    const outputs: (Batch | undefined)[] = new Array(this.tasks.length);
    for (let i = Math.max(waited, 0); i < this.tasks.length; i++) {
      const runner = this.runners[i]!;
      const out = batch();
      if (i !== waited) {
        runner.runAtom(this.gather(this.tasks[i]!.inputs, seal, outputs) ?? batch(), out, false);
        if (runner.parkedCount > 0) {
          // Wait for the continuations the end started; what was emitted so far goes on now.
          outputs[i] = out;
          this.ending = i;
          const result = this.runFrom(i + 1, outputs);
          if (result !== undefined) this.emit(result, false);
          return;
        }
      }
      runner.runAtom(batch(), out, false, true);
      outputs[i] = out;
    }
    this.ending = undefined;
    this.sealed = true;
    this.emit(this.gather(this.sinks, seal, outputs) ?? batch(), true);
  }

  /**
   * Appends an output atom to the stream and stages its events in the sink target, if any;
   * events the target refuses fail (docs/semantics.md, rule 10) and are left out of both.
   */
  private emit(result: Batch, seal: boolean): void {
    let out = result;
    if (this.target !== undefined && result.values.length > 0) {
      const refused = this.target.stage(result.values);
      if (refused !== undefined && refused.length > 0) out = this.refuse(result, refused);
    }
    this.out.append(atom(out.keys as Key[], out.values, out.error, seal, false));
    if (seal) this.flushDeadLetters(true);
  }

  /** `result` without the events the sink refused, each reported as a failed event of the sink. */
  private refuse(result: Batch, refused: readonly SinkRefusal[]): Batch {
    const out: Batch = { keys: [], values: [], error: result.error };
    const problems = new Map(refused.map((r) => [r.index, r.problem]));
    for (let i = 0; i < result.values.length; i++) {
      const key = result.keys[i]!;
      const problem = problems.get(i);
      if (problem === undefined) {
        out.keys.push(key);
        out.values.push(result.values[i]);
        continue;
      }
      const error = new OperatorError(this.path, "sink", key, new Error(problem));
      out.error ??= error;
      this.write(error.message, { level: "error", workflow: this.path, task: "sink", key, error });
      if (this.dead !== undefined) {
        post(this.dead.box, key, result.values[i], error);
      }
    }
    return out;
  }

  /** Appends the step's dead letters as one atom (with `seal`, and the end of the stream). */
  private flushDeadLetters(seal = false): void {
    const dead = this.dead;
    if (dead === undefined) return;
    if (dead.box.values.length === 0 && !seal) return;
    const { keys, values } = take(dead.box);
    // Failures of a workflow serving after its end have no stream to go to any more.
    if (values.length > 0 && this.sealed && !seal) this.dropAfterEnd(values.length, "failed");
    else dead.stream.append(atom(keys, values, undefined, seal, false));
  }

  /** Reports `count` events emitted (or failed, for the dead letters) after the output stream ended (once per workflow). */
  private dropAfterEnd(count: number, what: "emitted" | "failed"): void {
    if (this.warnedAfterEnd) return;
    this.warnedAfterEnd = true;
    this.write(
      `workflow ${this.path} ${what} ${count} event(s) while serving a portal after its output stream ended; ` +
        "they are dropped (and so are later ones). To keep emitting after the input ends, feed the workflow through a sequencer, whose stream does not end",
      { level: "warn", workflow: this.path, task: "sink", key: 0 },
    );
  }

  private flushPortalOut(): void {
    const pending = this.outbox.out;
    if (pending.values.length === 0) return;
    this.outbox.out = batch();
    this.portalOut!.append(atom(pending.keys, pending.values, undefined, false, true));
  }
}
