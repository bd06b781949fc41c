/**
 * Runs conformance cases: applications built inline, stepped to completion in a test system.
 */
import { PortalsApp, Systems, type ApplicationBuilder } from "portals-ts";
import { collecting } from "../support/machines.js";

/** Runs the application `define` builds to completion with a collecting log; returns the info lines. */
export function run(define: (app: ApplicationBuilder) => void, seed = 1): string[] {
  const { lines, log } = collecting();
  const system = Systems.test({ seed, log });
  system.launch(PortalsApp("app", define));
  system.stepUntilComplete();
  return lines;
}
