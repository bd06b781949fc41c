/**
 * State of one task instance (DESIGN §5.3): per-key entries, one `Map` from key to value per
 * entry name, and per-task entries in a separate map, so a per-task entry can never collide with
 * a user key (the reference stores per-task state under the reserved key -2). Plain data only.
 */
import type { StateHandle, TaskState } from "../api/context.js";
import type { Key } from "../engine/machine.js";

/** Where the current key comes from. */
export interface KeySource {
  readonly key: Key;
}

/** The state of one task: per-key entries by name, and per-task entries. */
export class TaskStateStore {
  /** Entry name → key → value. */
  readonly perKey = new Map<string, Map<Key, unknown>>();
  /** Entry name → value, shared by all keys. */
  readonly perTask = new Map<string, unknown>();

  /** The key → value map of per-key entry `name` (created empty on first use). */
  entry(name: string): Map<Key, unknown> {
    let m = this.perKey.get(name);
    if (m === undefined) {
      m = new Map();
      this.perKey.set(name, m);
    }
    return m;
  }
}

/** `ctx.state`: raw per-key entries for the current key. */
export class RawState implements TaskState {
  constructor(
    private readonly store: TaskStateStore,
    private readonly keys: KeySource,
  ) {}

  get<V = unknown>(name: string): V | undefined {
    return this.store.perKey.get(name)?.get(this.keys.key) as V | undefined;
  }

  set(name: string, value: unknown): void {
    this.store.entry(name).set(this.keys.key, value);
  }

  del(name: string): void {
    this.store.perKey.get(name)?.delete(this.keys.key);
  }
}

/** `ctx.perKey(name, initial)`. */
export class PerKeyHandle<V> implements StateHandle<V> {
  constructor(
    private readonly values: Map<Key, unknown>,
    private readonly keys: KeySource,
    readonly initial: V,
  ) {}

  get(): V {
    const v = this.values.get(this.keys.key);
    return v === undefined && !this.values.has(this.keys.key) ? this.initial : (v as V);
  }

  set(value: V): void {
    this.values.set(this.keys.key, value);
  }

  del(): void {
    this.values.delete(this.keys.key);
  }
}

/** `ctx.perTask(name, initial)`. */
export class PerTaskHandle<V> implements StateHandle<V> {
  constructor(
    private readonly store: TaskStateStore,
    private readonly name: string,
    readonly initial: V,
  ) {}

  get(): V {
    const m = this.store.perTask;
    return m.has(this.name) ? (m.get(this.name) as V) : this.initial;
  }

  set(value: V): void {
    this.store.perTask.set(this.name, value);
  }

  del(): void {
    this.store.perTask.delete(this.name);
  }
}

/**
 * Freezes an object initial value: every key shares the instance, so mutating it in place
 * would leak between keys. A frozen initial makes that mistake throw at once.
 */
export function freezeInitial<V>(initial: V): V {
  if (typeof initial === "object" && initial !== null) Object.freeze(initial);
  return initial;
}
