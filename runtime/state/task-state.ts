/**
 * State of one task instance (docs/semantics.md, rule 3): per-key entries, one `Map` from key to value per
 * entry name, and per-task entries in a separate map, so a per-task entry can never collide with
 * a user key (the reference stores per-task state under the reserved key -2). Plain data only.
 *
 * For incremental snapshots (docs/snapshots.md) the store can track which keys of which per-key entries
 * were written since the last snapshot, so a delta costs O(keys touched), not O(all keys).
 * Written means set or deleted, and also read when the value is an object: an object read with
 * `get` can be changed in place without `set` (`get().add(x)`), and a delta without it would
 * restore the old value. Reading a number costs nothing more. Per-task entries are few and
 * often updated in place (a Map of counts, say): every delta holds all of them.
 */
import type { StateHandle, TaskState } from "../core/context.js";
import type { Key } from "../core/key.js";

/** Where the current key comes from. */
export interface KeySource {
  readonly key: Key;
}

/** What changed in a store's per-key entries since the last snapshot. */
export interface StateChanges {
  /** Names of all per-key entries, in the store's order. */
  readonly entries: readonly string[];
  /** Entry name → key → new value, for keys set since the last snapshot. */
  readonly set: ReadonlyMap<string, ReadonlyMap<Key, unknown>>;
  /** Entry name → keys that were absent when set, in order (a map puts them last). */
  readonly inserted: ReadonlyMap<string, readonly Key[]>;
  /** Entry name → keys deleted since the last snapshot. */
  readonly deleted: ReadonlyMap<string, readonly Key[]>;
}

/** The state of one task: per-key entries by name, and per-task entries. */
export class TaskStateStore {
  /** Entry name → key → value. */
  readonly perKey = new Map<string, Map<Key, unknown>>();
  /** Entry name → value, shared by all keys. */
  readonly perTask = new Map<string, unknown>();
  /** Keys written per entry since the last snapshot; `null` while not tracking. */
  private touched: Map<string, Set<Key>> | null = null;

  /** True while writes are tracked (after a full snapshot). */
  get tracking(): boolean {
    return this.touched !== null;
  }
  private insertions: Map<string, Key[]> | null = null;

  /** Counts the calls of {@link track}, so handles know when a set they keep from {@link keysTouched} is stale. */
  period = 0;

  /** Starts (or restarts) tracking writes: the next {@link changes} has what is written from now on. */
  track(): void {
    this.touched = new Map();
    this.insertions = new Map();
    this.period++;
  }

  /** Every key written, in any entry, since tracking (re)started (none while not tracking). */
  writtenKeys(): Set<Key> {
    const keys = new Set<Key>();
    for (const touched of this.touched?.values() ?? []) for (const key of touched) keys.add(key);
    return keys;
  }

  /** The keys of entry `name` written since tracking (re)started, to add to; `null` while not tracking. */
  keysTouched(name: string): Set<Key> | null {
    const touched = this.touched;
    if (touched === null) return null;
    let keys = touched.get(name);
    if (keys === undefined) touched.set(name, (keys = new Set()));
    return keys;
  }

  /** Records that `key` was absent from entry `name` when it was set (a map puts it last). */
  inserted(name: string, key: Key): void {
    const insertions = this.insertions;
    if (insertions === null) return;
    let order = insertions.get(name);
    if (order === undefined) insertions.set(name, (order = []));
    order.push(key);
  }

  /** Records a write of `key` in entry `name`; `inserted` when the key was absent before. */
  touch(name: string, key: Key, inserted = false): void {
    const keys = this.keysTouched(name);
    if (keys === null) return;
    keys.add(key);
    if (inserted) this.inserted(name, key);
  }

  /**
   * Records a possible write of every per-key entry of `key` that holds an object: a
   * continuation of `key` may hold such a value and change it in place. Returns true when one
   * does.
   */
  touchObjects(key: Key): boolean {
    let objects = false;
    for (const [name, values] of this.perKey) {
      const v = values.get(key);
      if (typeof v === "object" && v !== null) {
        this.touch(name, key);
        objects = true;
      }
    }
    return objects;
  }

  /**
   * What was written since tracking started or the last call, and restarts tracking.
   *
   * @throws Error when tracking was not started
   */
  changes(): StateChanges {
    if (this.touched === null) throw new Error("internal: state changes asked before tracking started");
    const set = new Map<string, Map<Key, unknown>>();
    const deleted = new Map<string, Key[]>();
    for (const [name, keys] of this.touched) {
      const values = this.perKey.get(name);
      for (const key of keys) {
        if (values?.has(key)) {
          let m = set.get(name);
          if (m === undefined) set.set(name, (m = new Map()));
          m.set(key, values.get(key));
        } else {
          let d = deleted.get(name);
          if (d === undefined) deleted.set(name, (d = []));
          d.push(key);
        }
      }
    }
    const inserted = this.insertions!;
    this.track();
    return { entries: [...this.perKey.keys()], set, inserted, deleted };
  }

  /**
   * Puts back per-key entry `name` from a snapshot. A fresh task (no handle holds the entry
   * yet) takes `values` over, which a restore decoded for it alone: copying a million keys
   * would double a restart's cost. Otherwise the entry is emptied and refilled.
   */
  load(name: string, values: ReadonlyMap<Key, unknown>): void {
    if (!this.perKey.has(name) && values instanceof Map) {
      this.perKey.set(name, values as Map<Key, unknown>);
      return;
    }
    const entry = this.entry(name);
    entry.clear();
    for (const [k, v] of values) entry.set(k, v);
  }

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
    const key = this.keys.key;
    const v = this.store.perKey.get(name)?.get(key);
    // An object may be changed in place without set(): count the read as a write (module header).
    if (typeof v === "object" && v !== null && this.store.tracking) this.store.touch(name, key);
    return v as V | undefined;
  }

  set(name: string, value: unknown): void {
    const values = this.store.entry(name);
    const key = this.keys.key;
    if (this.store.tracking) this.store.touch(name, key, !values.has(key));
    values.set(key, value);
  }

  del(name: string): void {
    this.store.perKey.get(name)?.delete(this.keys.key);
    this.store.touch(name, this.keys.key);
  }
}

/** `ctx.perKey(name, initial)`. */
export class PerKeyHandle<V> implements StateHandle<V> {
  private readonly values: Map<Key, unknown>;
  /** The store's set of this entry's written keys, kept for its tracking period: one lookup per snapshot, not per event. */
  private touched: Set<Key> | null = null;
  private period = -1;

  constructor(
    private readonly store: TaskStateStore,
    readonly name: string,
    private readonly keys: KeySource,
    readonly initial: V,
  ) {
    this.values = store.entry(name);
  }

  get(): V {
    const key = this.keys.key;
    const v = this.values.get(key);
    if (v === undefined) return this.values.has(key) ? (v as V) : this.initial;
    // An object may be changed in place without set(): count the read as a write (module header).
    if (typeof v === "object" && v !== null) this.keysTouched()?.add(key);
    return v as V;
  }

  set(value: V): void {
    const key = this.keys.key;
    const touched = this.keysTouched();
    if (touched !== null) {
      if (!this.values.has(key)) this.store.inserted(this.name, key);
      touched.add(key);
    }
    this.values.set(key, value);
  }

  del(): void {
    this.values.delete(this.keys.key);
    this.store.touch(this.name, this.keys.key);
  }

  private keysTouched(): Set<Key> | null {
    if (this.period !== this.store.period) {
      this.period = this.store.period;
      this.touched = this.store.keysTouched(this.name);
    }
    return this.touched;
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
 * Freezes an object initial value, deeply: every key shares the instance, and it is not stored,
 * so a change in place would leak between keys and be missing from snapshots. Frozen, such a
 * change throws at once; a `Map` or `Set` (which `Object.freeze` does not stop) gets mutators
 * that throw.
 */
export function freezeInitial<V>(initial: V): V {
  const todo: unknown[] = [initial];
  const seen = new Set<object>();
  while (todo.length > 0) {
    const value = todo.pop();
    // Frozen already (shared with another entry, or by the caller), and views cannot be frozen.
    if (typeof value !== "object" || value === null || seen.has(value) || !Object.isExtensible(value) || ArrayBuffer.isView(value)) continue;
    seen.add(value);
    if (value instanceof Map) {
      guard(value, ["set", "delete", "clear"]);
      for (const [k, v] of value) todo.push(k, v);
    } else if (value instanceof Set) {
      guard(value, ["add", "delete", "clear"]);
      for (const v of value) todo.push(v);
    } else {
      for (const key of Object.keys(value)) todo.push((value as Record<string, unknown>)[key]);
    }
    Object.freeze(value);
  }
  return initial;
}

/** Makes the mutators `methods` of a shared initial Map or Set throw, saying what to do instead. */
function guard(collection: object, methods: readonly string[]): void {
  for (const method of methods) {
    Object.defineProperty(collection, method, {
      value: () => {
        throw new TypeError(
          `${method}() on the initial value of a state entry: every key shares it and it is not stored, so it cannot change; ` +
            "set a new collection instead, e.g. handle.set(new Set([...handle.get(), x]))",
        );
      },
    });
  }
}
