/** Counters a running system keeps (the CLI's progress and summary lines show them). */
export interface SystemStats {
  /** Steps taken. */
  steps: number;
  /** Atoms processed by workflows (portal atoms included). */
  atoms: number;
  /** Events processed by workflows (portal requests and replies included). */
  events: number;
}
