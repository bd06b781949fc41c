/** Options of the application builders, one type per builder. */
import type { Key } from "../core/key.js";

/** Options every generator accepts. */
export interface GeneratorOptions {
  /** Name of the generator (default `$<n>`); its path is `/<app>/generators/<name>`. */
  readonly name?: string;
}

/** Options of generators that cut a sequence into atoms. */
export interface AtomOptions extends GeneratorOptions {
  /** Events per atom (a positive integer; default 1). The last atom may be shorter. */
  readonly atomSize?: number;
}

/** Options of `app.generators.http`. */
export interface IngestionOptions {
  /** One atom of all the sends queued when the generator steps, instead of one per send (default false). */
  readonly coalesce?: boolean;
}

/** Options of `app.generators.rate`. */
export interface RateOptions extends GeneratorOptions {
  /** Events in all (a non-negative integer); without it the generator never ends. */
  readonly count?: number;
  /** Most events per atom (a positive integer; default 1,000). */
  readonly atomSize?: number;
}

/** Options of `app.sequencers.random`. */
export interface SequencerOptions {
  /** Name of the sequencer (default `$<n>`); its path is `/<app>/sequencers/<name>`. */
  readonly name?: string;
}

/** Options of `app.connections.connect`. */
export interface ConnectionOptions {
  /** Name of the connection (default `$<n>`); its path is `/<app>/connections/<name>`. */
  readonly name?: string;
}

/** Options of `app.splitters.empty`. */
export interface SplitterOptions {
  /** Name of the splitter (default `$<n>`); its path is `/<app>/splitters/<name>`. */
  readonly name?: string;
}

/** Options of `app.splits.split`. */
export interface SplitOptions {
  /** Name of the split (default `$<n>`); its path is `/<app>/splits/<name>`, its stream that plus `/stream`. */
  readonly name?: string;
}

/** Options of `app.portal`. */
export interface PortalOptions<Req> {
  /**
   * Routing key of a request: the replier serves it under `key(request)`; without it, under the
   * asker's key (docs/semantics.md, rule 8).
   */
  readonly key?: (request: Req) => Key;
}
