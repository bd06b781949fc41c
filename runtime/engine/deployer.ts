/**
 * Deploying a plan into the engine: first every check that needs the running engine (the paths
 * the plan needs from earlier applications, uncompiled async callbacks), then the task
 * instances, sinks and generators (whose constructors may fail), and only then the wiring into
 * the registry and the scheduler. A deployment that fails leaves the engine as it was.
 */
import { ApplicationError, describe } from "../core/errors.js";
import { portalUse } from "../core/spec.js";
import { SYSTEM_APP_PREFIX } from "../core/paths.js";
import type { SinkWriter } from "../core/sink.js";
import { hasUncompiledCallback, uncompiledMessage } from "../core/uncompiled.js";
import type { Plan } from "../graph/plan.js";
import { GeneratorComponent, makeSource } from "./components/generator.js";
import type { SourceClock } from "./components/live-sources.js";
import type { AtomSource } from "./components/sources.js";
import { FlowControl } from "./components/flow-control.js";
import { SequencerComponent } from "./components/sequencer.js";
import { SplitterComponent } from "./components/splitter.js";
import { WorkflowExecutor } from "./components/workflow-executor.js";
import type { Engine } from "./engine.js";
import type { PortalOutbox } from "./portals/outbox.js";
import { AtomicStream } from "./stream.js";
import { deadLetterBox, type DeadLetterBox } from "./tasks/failures.js";
import { TaskRunner } from "./tasks/task-runner.js";

/** How a deployment treats transactional sinks. */
export type SinkStart = "fresh" | "recovering";

/**
 * Deploys `plan` into `engine`: its consumers start at the current end of the streams they read
 * (docs/semantics.md, rule 7). With `sinks: "fresh"` its sinks start empty; with
 * `"recovering"` they are left for a restore to recover.
 *
 * @throws ApplicationError when the application is already deployed, needs a part of an
 *   application that is not, has an uncompiled async callback, or a generator, sink or `init`
 *   factory fails; nothing is changed then
 */
export function deploy(engine: Engine, plan: Plan, sinks: SinkStart): void {
  const problems = checkDeployment(engine, plan, []);
  if (problems.length > 0) throw new ApplicationError(plan.app, problems);
  const streams = new Map(plan.streams.map((s) => [s.path, new AtomicStream(s.path)]));
  const runners = construct(plan.app, () => makeRunners(engine, plan));
  const writers = construct(plan.app, () => openSinks(plan));
  const generators: GeneratorComponent[] = [];
  construct(plan.app, () => {
    try {
      for (const g of plan.generators) {
        const source = (clock: SourceClock | undefined): AtomSource => makeSource(g.path, g.source, engine.log, clock, engine.openFile);
        generators.push(new GeneratorComponent(g.path, source, streams.get(g.stream)!, (c) => engine.clockFor(c), engine.sourceHold));
      }
    } catch (thrown) {
      for (const g of generators) g.close(); // files opened before the one that failed
      for (const w of writers.values()) w.close();
      throw thrown;
    }
  });
  for (const [path, stream] of streams) engine.registry.add(path, { kind: "stream", stream });
  for (const [path, writer] of writers) {
    if (sinks === "fresh") writer.reset();
    engine.sinks.set(path, writer);
  }
  wire(engine, plan, runners);
  for (const g of generators) {
    engine.generators.set(g.path, g);
    engine.add(g);
    engine.schedule(g);
  }
  engine.apps.push(plan.app);
}

/**
 * What keeps `plan` from being deployed into `engine` after the plans `earlier` (deployed in
 * the same launch, before it), as one message per problem: everything that can be checked before
 * anything changes. Paths in `provided` are taken as there: the system adds them before the
 * deployment, or reports why it cannot (streams of other runtimes, docs/cluster.md).
 */
export function checkDeployment(engine: Engine, plan: Plan, earlier: readonly Plan[], provided: ReadonlySet<string> = NONE, cluster = false): string[] {
  const problems: string[] = [];
  if (engine.apps.includes(plan.app) || earlier.some((p) => p.app === plan.app)) {
    problems.push("it is already launched in this system (give each application a name of its own)");
  }
  const launched = (path: string, kind: Plan["requires"][number]["kind"]): boolean =>
    provided.has(path) ||
    earlier.some((p) => (kind === "stream" ? p.streams : kind === "sequencer" ? p.sequencers : p.splitters).some((part) => part.path === path));
  for (const r of plan.requires) {
    const found = engine.registry.find(r.path);
    if ((found === undefined || found.kind !== r.kind) && !launched(r.path, r.kind)) {
      const users = engine.apps.filter((a) => !a.startsWith(`/${SYSTEM_APP_PREFIX}`));
      const known = users.length > 0 ? users.join(", ") : "none";
      const problem = cluster
        ? `${r.neededBy} needs ${r.what}, which no application of this runtime or of the cluster (as this runtime heard of it) defines; launch the application that defines it first, or deploy again in a moment if another runtime has just launched it (launched here: ${known})`
        : `${r.neededBy} needs ${r.what}, which no launched application defines; launch the application that defines it first (launched: ${known})`;
      // A portal is two requirements (its request sequencer and reply splitter): report it once.
      if (!problems.includes(problem)) problems.push(problem);
    }
  }
  for (const w of plan.workflows) {
    for (const t of w.tasks) if (hasUncompiledCallback(t.spec)) problems.push(uncompiledMessage(w.path, t.name));
  }
  return problems;
}

const NONE: ReadonlySet<string> = new Set();

/** Runs `make`, turning what it throws into an {@link ApplicationError} of application `app`. */
function construct<T>(app: string, make: () => T): T {
  try {
    return make();
  } catch (thrown) {
    if (thrown instanceof ApplicationError) throw thrown;
    throw new ApplicationError(app, [describe(thrown)]);
  }
}

function openSinks(plan: Plan): Map<string, SinkWriter> {
  const opened = new Map<string, SinkWriter>();
  try {
    for (const w of plan.workflows) if (w.target !== undefined) opened.set(w.path, w.target.open());
  } catch (thrown) {
    for (const writer of opened.values()) writer.close();
    throw thrown;
  }
  return opened;
}

interface WorkflowRunners {
  readonly outbox: PortalOutbox;
  readonly runners: TaskRunner[];
  /** Where the runners put failed events, when the workflow has dead letters. */
  readonly deadLetters: DeadLetterBox | undefined;
}

function makeRunners(engine: Engine, plan: Plan): Map<string, WorkflowRunners> {
  const made = new Map<string, WorkflowRunners>();
  for (const w of plan.workflows) {
    const outbox: PortalOutbox = { out: { keys: [], values: [], error: undefined } };
    const deadLetters = w.deadLetters === undefined ? undefined : deadLetterBox();
    const runners = w.tasks.map((t) => {
      try {
        return new TaskRunner(w.path, t, engine.log, outbox, portalUse(t.spec).asks.map((p) => p.path), deadLetters);
      } catch (thrown) {
        throw new Error(`workflow ${w.path}, task ${t.name}: ${describe(thrown)}`);
      }
    });
    made.set(w.path, { outbox, runners, deadLetters });
  }
  return made;
}

/** Creates the components of `plan` and connects them to each other and to the registry. */
function wire(engine: Engine, plan: Plan, made: Map<string, WorkflowRunners>): void {
  const registry = engine.registry;
  const stream = (path: string): AtomicStream => registry.get(path, "stream").stream;
  for (const s of plan.sequencers) {
    const sequencer = new SequencerComponent(s.path, stream(s.stream), s.primary, engine.random, engine.schedule);
    registry.add(s.path, { kind: "sequencer", sequencer });
    engine.add(sequencer);
  }
  for (const s of plan.splitters) {
    const splitter = new SplitterComponent(s.path, stream(s.source), s.internal, engine.log, engine.schedule);
    registry.add(s.path, { kind: "splitter", splitter });
    engine.add(splitter);
  }
  for (const s of plan.splits) registry.get(s.splitter, "splitter").splitter.addSplit(s.path, s.predicate, stream(s.stream));
  for (const c of plan.connections) registry.get(c.sequencer, "sequencer").sequencer.connect(stream(c.stream), c.portal);
  for (const w of plan.workflows) {
    const { outbox, runners, deadLetters } = made.get(w.path)!;
    const portalOut = w.portals ? stream(w.portals.out) : undefined;
    const dead = deadLetters === undefined ? undefined : { stream: stream(w.deadLetters!), box: deadLetters };
    const workflow = new WorkflowExecutor(w, stream(w.source), stream(w.stream), portalOut, outbox, runners, engine.stats, engine.schedule, engine.log, engine.sinks.get(w.path), dead);
    engine.workflows.set(w.path, workflow);
    engine.add(workflow);
    // The sequencer in front of a portal workflow: the one that writes its source, with that source's input as primary.
    const inFront = w.portals === undefined ? undefined : plan.sequencers.find((q) => q.stream === w.source && q.primary !== undefined);
    if (engine.live && inFront !== undefined) {
      const sequencer = registry.get(inFront.path, "sequencer").sequencer;
      const flow = new FlowControl(() => workflow.parked, () => sequencer.wake());
      sequencer.holdPrimary(flow);
      workflow.controlFlow(flow);
    }
  }
}
