/**
 * The engine's registry of paths: every stream, sequencer and splitter of every launched
 * application by its path, so an application launched later attaches to the parts of earlier
 * ones (the `app.registry` lookups of its plan).
 */
import type { SequencerComponent } from "./components/sequencer.js";
import type { SplitterComponent } from "./components/splitter.js";
import type { AtomicStream } from "./stream.js";

/** A registered part. */
export type Registered =
  | { readonly kind: "stream"; readonly stream: AtomicStream }
  | { readonly kind: "sequencer"; readonly sequencer: SequencerComponent }
  | { readonly kind: "splitter"; readonly splitter: SplitterComponent };

/** See the module header. */
export class PathRegistry {
  private readonly parts = new Map<string, Registered>();

  /** The part at `path`, or `undefined`. */
  find(path: string): Registered | undefined {
    return this.parts.get(path);
  }

  /** Registers `part` at `path`. */
  add(path: string, part: Registered): void {
    this.parts.set(path, part);
  }

  /**
   * The part of kind `kind` at `path`.
   *
   * @throws Error when there is none: the deployer checks every path a plan needs before it
   *   wires anything, so this is an internal error
   */
  get<K extends Registered["kind"]>(path: string, kind: K): Extract<Registered, { kind: K }> {
    const found = this.parts.get(path);
    if (found?.kind !== kind) throw new Error(`internal: ${kind} ${path} is not registered`);
    return found as Extract<Registered, { kind: K }>;
  }

  /** Every registered stream with its path, in registration order. */
  *streams(): IterableIterator<[string, AtomicStream]> {
    for (const [path, part] of this.parts) if (part.kind === "stream") yield [path, part.stream];
  }
}
