/**
 * Splitters at run time (docs/semantics.md, rule 6; reference `InterpreterSplitter`): each event goes to the
 * first split whose predicate holds (events matching none are dropped); a split that gets no
 * event gets no atom. The seal reaches every split. A predicate that throws fails the atom for
 * the splits that get events (reported with the splitter's path), instead of crashing the step.
 */
import { OperatorError } from "../../core/errors.js";
import type { Key } from "../../core/key.js";
import type { LogWriter } from "../../core/log.js";
import { atom, type Atom } from "../atom.js";
import { Rank, type Component } from "../scheduler.js";
import type { AtomicStream, Cursor } from "../stream.js";

interface Split {
  readonly path: string;
  readonly predicate: (event: any) => boolean;
  readonly out: AtomicStream;
}

/** A splitter component. */
export class SplitterComponent implements Component {
  private readonly splits: Split[] = [];
  private readonly cursor: Cursor;

  constructor(
    readonly path: string,
    source: AtomicStream,
    private readonly internal: boolean,
    private readonly write: LogWriter,
    private readonly schedule: (c: Component) => void,
  ) {
    this.cursor = source.subscribe(this);
  }

  /** Adds an output: events for which `predicate` holds (and no earlier split's did). */
  addSplit(path: string, predicate: (event: any) => boolean, out: AtomicStream): void {
    this.splits.push({ path, predicate, out });
  }

  wake(): void {
    this.schedule(this);
  }

  rank(): number {
    return this.internal || this.cursor.portalPending > 0 ? Rank.portal : Rank.splitter;
  }

  ready(): boolean {
    return this.cursor.hasNext();
  }

  step(): void {
    const a = this.cursor.next();
    const splits = this.splits;
    const keys: Key[][] = splits.map(() => []);
    const values: unknown[][] = splits.map(() => []);
    let error = a.error;
    for (let e = 0; e < a.values.length; e++) {
      const value = a.values[e];
      for (let s = 0; s < splits.length; s++) {
        let match: boolean;
        try {
          match = splits[s]!.predicate(value);
        } catch (thrown) {
          error ??= this.fail(splits[s]!, a.keys[e]!, thrown);
          break;
        }
        if (match) {
          keys[s]!.push(a.keys[e]!);
          values[s]!.push(value);
          break;
        }
      }
    }
    let delivered = false;
    for (let s = 0; s < splits.length; s++) {
      if (values[s]!.length > 0 || a.seal) {
        splits[s]!.out.append(atom(keys[s]!, values[s]!, error, a.seal, a.portal));
        delivered = true;
      }
    }
    // An error must not vanish with an atom that routed no event: every split gets it.
    if (!delivered && error !== undefined) this.broadcastError(a, error);
  }

  private broadcastError(a: Atom, error: OperatorError): void {
    for (const s of this.splits) s.out.append(atom([], [], error, false, a.portal));
  }

  private fail(split: Split, key: Key, thrown: unknown): OperatorError {
    const error = new OperatorError(this.path, split.path, key, thrown);
    this.write(error.message, { level: "error", workflow: this.path, task: split.path, key, error });
    return error;
  }
}
