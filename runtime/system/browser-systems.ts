/**
 * The systems in a browser (the `Systems` of the package's browser entry, e.g. in a Web Worker):
 * log lines go to the console, and what needs files is refused with what to use instead. The
 * live driver yields through a `MessageChannel`: a task of its own, without the minimum delay
 * browsers give nested `setTimeout`s.
 */
import type { LogWriter } from "../core/log.js";
import type { Host } from "./host.js";
import { systemsOn } from "./systems.js";

/** Info lines with `console.log`, warnings with `console.warn`, errors with `console.error`, each with its level. */
const consoleLog: LogWriter = (line, meta) => {
  if (meta.level === "info") console.log(line);
  else if (meta.level === "warn") console.warn(`[warn] ${line}`);
  else console.error(`[${meta.level}] ${line}`);
};

const browserHost: Host = {
  log: consoleLog,
  openFile: (path, file) => {
    throw new Error(`generator ${path}: fromFile(${JSON.stringify(file)}) reads a file, and portals-ts in a browser has no files; give the events with fromArrayOfArrays, fromIterable or fromAsyncIterable`);
  },
  openDataDir: (dataDir) => {
    throw new Error(`Systems.live({ dataDir: ${JSON.stringify(dataDir)} }): portals-ts in a browser has no files to keep checkpoints in; leave dataDir out`);
  },
  nextTurn: (resume) => {
    const { port1, port2 } = new MessageChannel();
    port1.addEventListener("message", () => {
      port1.close();
      resume();
    });
    port1.start(); // a port listened to with addEventListener delivers nothing before
    port2.postMessage(null);
  },
};

/** Factories of systems. */
export const Systems = systemsOn(browserHost);
