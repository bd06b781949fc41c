/** Where a system's log lines go on Node when its options name no writer (and the cluster's reports). */
import type { LogWriter } from "../core/log.js";

/** Writes info lines to stdout and warnings/errors, with their level, to stderr. */
export const defaultLog: LogWriter = (line, meta) => {
  if (meta.level === "info") process.stdout.write(line + "\n");
  else process.stderr.write(`[${meta.level}] ${line}\n`);
};
