/**
 * The workflow builder: a typed, immutable flow of tasks from one source stream to
 * one sink. `FlowBuilder<T, U, CT, CU>` tracks the workflow's input `T` and declared output `U`,
 * and the latest task's input `CT` and output `CU`, so `sink()` only compiles when `CU` is `U`
 * and the `with*` methods see the latest task's types (reference `FlowBuilder.scala`).
 * Every operator returns a new builder; branching from one builder and `union` build a DAG.
 */
import type { AskerContext, MapContext, ProcessorContext, ReplierContext } from "../core/context.js";
import type { DeadLetter, OperatorError } from "../core/errors.js";
import type { Key } from "../core/key.js";
import { deadLettersOf, isSegmentName, RESERVED_STREAM_NAMES, streamOf } from "../core/paths.js";
import type { Sink } from "../core/sink.js";
import { defaultTaskName, taskLabel } from "../core/spec.js";
import type { VsmBehavior } from "../core/vsm.js";
import type { TaskNode } from "../graph/model.js";
import { streamRef, type PortalRef, type StreamRef, type WorkflowRef } from "./refs.js";
import { Task, Tasks, type Portals } from "./tasks.js";

/** What a workflow builder records; becomes a `WorkflowNode` at `build()`. */
export interface WorkflowDraft {
  readonly path: string;
  source: string | undefined;
  readonly tasks: TaskNode[];
  readonly sinks: number[];
  /** Transactional sink the output also goes to, if any. */
  target: Sink<unknown> | undefined;
  /** Path of the dead-letter stream, if the workflow has one. */
  deadLetters: string | undefined;
  frozen: boolean;
}

/** Index of the workflow's source among task inputs. */
const SOURCE = -1;

/** Starts a workflow: pick its source with {@link WorkflowBuilder.source}. */
export class WorkflowBuilder<T, U> {
  /** @internal use `app.workflows<T, U>(name)` */
  constructor(private readonly draft: WorkflowDraft) {}

  /** Path of the workflow, `/<app>/workflows/<name>`. */
  get path(): string {
    return this.draft.path;
  }

  /** Output stream of the workflow (usable before `freeze()`). */
  get stream(): StreamRef<U> {
    return streamRef<U>(streamOf(this.draft.path));
  }

  /**
   * Gives the workflow a dead-letter stream, `/<app>/workflows/<workflow>/<name>/stream`, and
   * returns it: every event that fails in one of its tasks (or that its sink refuses) goes
   * there with its error, under its key, in an atom per step (docs/semantics.md, rule 10).
   * Other workflows consume it like any stream, in this application or, through the registry,
   * in later ones. Call it before `freeze()`.
   *
   * @param name the stream's name within the workflow (default `failed`): letters, digits, `_`,
   *   `-`, `.` or `$`, and none of the names portal expansion uses (`portal-in`, `portal-out`,
   *   `portal-router`, `replies`)
   * @throws TypeError for such a name, after `freeze()`, or when the workflow already has a
   *   dead-letter stream of another name
   */
  deadLetters(name = "failed"): StreamRef<DeadLetter> {
    const where = `workflow ${this.draft.path}: deadLetters(${JSON.stringify(name)})`;
    if (!isSegmentName(name, true) || RESERVED_STREAM_NAMES.includes(name)) {
      throw new TypeError(`${where}: the name must be letters, digits, "_", "-", "." or "$", not "." or ".." alone, and not one of ${RESERVED_STREAM_NAMES.join(", ")}`);
    }
    if (this.draft.frozen) throw new TypeError(`${where}: the workflow is frozen; call deadLetters() before freeze()`);
    const path = deadLettersOf(this.draft.path, name);
    if (this.draft.deadLetters !== undefined && this.draft.deadLetters !== path) {
      throw new TypeError(`${where}: the workflow's dead letters already go to ${this.draft.deadLetters}; a workflow has one dead-letter stream`);
    }
    this.draft.deadLetters = path;
    return streamRef<DeadLetter>(path);
  }

  /**
   * Sets the input stream of the workflow.
   *
   * @throws TypeError when `stream` is not a stream ref or the source was already set
   */
  source(stream: StreamRef<T>): FlowBuilder<T, U, T, T> {
    if (stream == null || stream.kind !== "stream") {
      throw new TypeError(`workflow ${this.draft.path}: source(stream) expects a stream ref such as generator.stream`);
    }
    if (this.draft.source !== undefined) {
      throw new TypeError(`workflow ${this.draft.path}: the source is already ${this.draft.source}; a workflow has one source`);
    }
    this.draft.source = stream.path;
    return new FlowBuilder<T, U, T, T>(this.draft, SOURCE);
  }
}

/**
 * A flow of a workflow whose latest task maps `CT` to `CU` (see this module's header).
 * Callbacks get `(event, ctx)`; async callbacks that await portal requests must be compiled
 * (`tspc`, `portals-ts/vite` or `portals-ts/register`).
 */
export class FlowBuilder<T, U, CT, CU> {
  /** @internal */
  constructor(
    private readonly draft: WorkflowDraft,
    private readonly latest: number,
  ) {}

  /** Emits `fn(event, ctx)` for each event. */
  map<V>(fn: (event: CU, ctx: MapContext) => V): FlowBuilder<T, U, CU, V> {
    return this.add(Tasks.map(fn));
  }

  /** Keeps the events for which `predicate(event, ctx)` is true. */
  filter<V extends CU>(predicate: (event: CU, ctx: MapContext) => event is V): FlowBuilder<T, U, CU, V>;
  /** Keeps the events for which `predicate(event, ctx)` is true. */
  filter(predicate: (event: CU, ctx: MapContext) => boolean): FlowBuilder<T, U, CU, CU>;
  filter(predicate: (event: CU, ctx: MapContext) => boolean): FlowBuilder<T, U, CU, CU> {
    return this.add(Tasks.filter(predicate));
  }

  /** Emits every element of the iterable `fn(event, ctx)` returns. */
  flatMap<V>(fn: (event: CU, ctx: MapContext) => Iterable<V>): FlowBuilder<T, U, CU, V> {
    return this.add(Tasks.flatMap(fn));
  }

  /**
   * Runs `fn(event, ctx)`, which emits zero or more events with `ctx.emit`. The emitted type
   * `V` defaults to the workflow's output type.
   */
  processor<V = U>(fn: (event: CU, ctx: ProcessorContext<V>) => void | Promise<unknown>): FlowBuilder<T, U, CU, V> {
    return this.add(Tasks.processor(fn));
  }

  /** Re-keys each event with `fn(event)` (a string or finite number); state is per key after it. */
  key(fn: (event: CU) => Key): FlowBuilder<T, U, CU, CU> {
    return this.add(Tasks.key(fn));
  }

  /** Adds a task built by `factory(ctx)` when the workflow is instantiated. */
  init<V>(factory: (ctx: ProcessorContext<V>) => Task<CU, V>): FlowBuilder<T, U, CU, V> {
    return this.add(Tasks.init(factory));
  }

  /** Forwards every event (a place to hang hooks with the `with*` methods). */
  identity(): FlowBuilder<T, U, CU, CU> {
    return this.add(Tasks.identity<CU>());
  }

  /** Logs `prefix + format(event)` for each event and forwards it (`core/format.ts`). */
  logger(prefix = ""): FlowBuilder<T, U, CU, CU> {
    return this.add(Tasks.logger<CU>(prefix));
  }

  /** Adds a task built with `Tasks.*`. */
  task<V>(task: Task<CU, V>): FlowBuilder<T, U, CU, V> {
    if (!(task instanceof Task)) throw new TypeError(`workflow ${this.draft.path}: task(t) expects a task built with Tasks.*`);
    return this.add(task);
  }

  /** A per-key state machine starting in `initial` (built with `VSM.processor`). */
  vsm<V>(initial: VsmBehavior<CU, V>): FlowBuilder<T, U, CU, V> {
    return this.add(Tasks.vsm(initial));
  }

  /**
   * Merges this flow and `others` (branches of the same workflow) into one: an identity task
   * that gets this flow's events, then each other flow's, as one atom with one boundary
   * (docs/semantics.md, rule 4).
   */
  union(...others: FlowBuilder<T, U, any, CU>[]): FlowBuilder<T, U, CU, CU> {
    for (const o of others) {
      if (!(o instanceof FlowBuilder) || o.draft !== this.draft) {
        throw new TypeError(`workflow ${this.draft.path}: union(...) takes flows of the same workflow`);
      }
    }
    return this.add(Tasks.identity<CU>(), [this.latest, ...others.map((o) => o.latest)], "union");
  }

  /**
   * An asker: `fn(event, ctx)` may `await portal.request(...)` on `portals` (one ref or an
   * array) and emits with `ctx.emit`. Continuations resume under the event's key (docs/semantics.md, rule 8).
   */
  asker<V = U>(portals: Portals, fn: (event: CU, ctx: AskerContext<V>) => void | Promise<unknown>): FlowBuilder<T, U, CU, V> {
    return this.add(Tasks.asker(portals, fn));
  }

  /**
   * A replier for `portal`: `onNext` handles the stream's events; `onAsk` serves each request
   * and answers it with `ctx.reply` (docs/semantics.md, rule 8).
   */
  replier<V = U, Req = unknown, Rep = unknown>(
    portal: PortalRef<Req, Rep>,
    onNext: (event: CU, ctx: ProcessorContext<V>) => void,
    onAsk: (request: Req, ctx: ReplierContext<V, Rep>) => void,
  ): FlowBuilder<T, U, CU, V> {
    return this.add(Tasks.replier(portal, onNext, onAsk));
  }

  /**
   * An asker and replier in one task: both callbacks may await `asks` (one ref or an array);
   * `onAsk` may reply after awaiting, answering the original request (docs/semantics.md, rule 9).
   */
  askerReplier<V = U, Req = unknown, Rep = unknown>(
    asks: Portals,
    portal: PortalRef<Req, Rep>,
    onNext: (event: CU, ctx: AskerContext<V>) => void | Promise<unknown>,
    onAsk: (request: Req, ctx: ReplierContext<V, Rep>) => void | Promise<unknown>,
  ): FlowBuilder<T, U, CU, V> {
    return this.add(Tasks.askerReplier(asks, portal, onNext, onAsk));
  }

  /**
   * Names the latest task, in messages, logs, `app.explain()` and snapshots. Without a name a
   * task is called `<kind>#<position>`: `map#2` is the workflow's second task, a map.
   */
  withName(name: string): FlowBuilder<T, U, CT, CU> {
    if (typeof name !== "string" || name === "") throw new TypeError(`workflow ${this.draft.path}: withName(name) needs a non-empty string`);
    return this.replace((t) => t.withName(name));
  }

  /** Replaces the latest task's event handler (see `Task.withOnNext`). */
  withOnNext(onNext: (event: CT, ctx: ProcessorContext<CU>) => void | Promise<unknown>): FlowBuilder<T, U, CT, CU> {
    return this.replace((t) => t.withOnNext(onNext));
  }

  /** Runs `hook` after each atom's events on the latest task (docs/semantics.md, rule 1). */
  withOnAtomComplete(hook: (ctx: ProcessorContext<CU>) => void): FlowBuilder<T, U, CT, CU> {
    return this.replace((t) => t.withOnAtomComplete(hook));
  }

  /** Runs `hook` once at the end of the stream on the latest task (docs/semantics.md, rule 1). */
  withOnComplete(hook: (ctx: ProcessorContext<CU>) => void): FlowBuilder<T, U, CT, CU> {
    return this.replace((t) => t.withOnComplete(hook));
  }

  /**
   * Runs `hook` on the latest task's failures (docs/semantics.md, rule 10): right after one of
   * its events (or hooks) throws, with that failure, under the event's key (what it emits takes
   * the event's place); and once for an atom that arrives failed from upstream, after its events.
   */
  withOnError(hook: (error: OperatorError, ctx: ProcessorContext<CU>) => void): FlowBuilder<T, U, CT, CU> {
    return this.replace((t) => t.withOnError(hook));
  }

  /** Alternates the latest task with `next`, one atom each (see `Task.withStep`). */
  withStep(next: Task<CT, CU>): FlowBuilder<T, U, CT, CU> {
    return this.replace((t) => t.withStep(next));
  }

  /** Adds `next` as a step of the latest task for `atoms` atoms (see `Task.withLoop`). */
  withLoop(atoms: number, next: Task<CT, CU>): FlowBuilder<T, U, CT, CU> {
    return this.replace((t) => t.withLoop(atoms, next));
  }

  /** Fuses `next` into the latest task (see `Task.withAndThen`). */
  withAndThen<V>(next: Task<CU, V>): FlowBuilder<T, U, CT, V> {
    return this.replace((t) => t.withAndThen(next));
  }

  /** Wraps the latest task's event handler (see `Task.withWrapper`). */
  withWrapper(wrapper: (event: CT, ctx: ProcessorContext<CU>, next: (event: CT) => void) => void): FlowBuilder<T, U, CT, CU> {
    return this.replace((t) => t.withWrapper(wrapper));
  }

  /**
   * Sends this flow's events to the workflow's output stream, and, given a `target` (see
   * `Sinks`), also to that transactional sink: committed with the snapshot that covers them,
   * exactly once (docs/snapshots.md). Compiles only when the flow's event type is the workflow's
   * declared output type `U`.
   *
   * @throws TypeError when another branch already gave the workflow another sink target
   */
  sink(...args: [CU] extends [U] ? [target?: Sink<U>] : [error: "the flow's event type is not the workflow's output type"]): FlowBuilder<T, U, CT, CU> {
    this.checkOpen("sink()");
    const target = args[0] as Sink<unknown> | undefined;
    if (target !== undefined) {
      if (target === null || (target as { kind?: string }).kind !== "sink") throw new TypeError(`workflow ${this.draft.path}: sink(target) expects a sink from Sinks.file or Sinks.memory`);
      if (this.draft.target !== undefined && this.draft.target !== target) {
        throw new TypeError(`workflow ${this.draft.path} already sends its output to ${this.draft.target.description}; a workflow has one sink target`);
      }
      this.draft.target = target;
    }
    // The source itself cannot be a sink input: an identity task stands in for it.
    const last = this.latest === SOURCE ? this.add(Tasks.identity(), [SOURCE], "sink").latest : this.latest;
    if (!this.draft.sinks.includes(last)) this.draft.sinks.push(last);
    return this;
  }

  /**
   * Ends the definition of the workflow and returns its ref. `build()` freezes workflows that
   * were not frozen.
   */
  freeze(): WorkflowRef<T, U> {
    this.checkOpen("freeze()");
    this.draft.frozen = true;
    return { kind: "workflow", path: this.draft.path, stream: streamRef<U>(streamOf(this.draft.path)) };
  }

  private add<A, B, V>(task: Task<A, B>, inputs: number[] = [this.latest], label = taskLabel(task.spec)): FlowBuilder<T, U, A, V> {
    this.checkOpen("adding a task");
    const name = task.spec.name ?? defaultTaskName(label, this.draft.tasks.length + 1);
    this.draft.tasks.push({ name, spec: task.spec, inputs });
    return new FlowBuilder<T, U, A, V>(this.draft, this.draft.tasks.length - 1);
  }

  private replace<A, B>(change: (task: Task<CT, CU>) => Task<A, B>): FlowBuilder<T, U, A, B> {
    this.checkOpen("changing a task");
    if (this.latest === SOURCE) {
      throw new TypeError(`workflow ${this.draft.path}: with* methods change the latest task; add a task (e.g. .identity()) first`);
    }
    const node = this.draft.tasks[this.latest]!;
    const spec = change(new Task<CT, CU>(node.spec)).spec;
    this.draft.tasks[this.latest] = { ...node, name: spec.name ?? node.name, spec };
    return new FlowBuilder<T, U, A, B>(this.draft, this.latest);
  }

  private checkOpen(what: string): void {
    if (this.draft.frozen) throw new TypeError(`workflow ${this.draft.path} is frozen: ${what} is not possible after freeze()`);
  }
}
