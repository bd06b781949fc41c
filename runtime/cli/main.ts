#!/usr/bin/env node
/**
 * Entry point of the `portals` command (package `bin`): runs {@link runCli} on the process's
 * arguments and exits with its code. See `program.ts` for the commands.
 */
import { processIo } from "./io.js";
import { runCli } from "./program.js";

// Stack traces of the user's code, compiled by the Node hook or built with source maps, then
// name the user's .ts lines (the CLI prints the first of them for a failing operator). Modules
// loaded before this line keep their compiled positions, which is all of the CLI's own.
process.setSourceMapsEnabled(true);

// `portals run app.ts | head -2`: once the reader has gone, nothing more can be shown, which is
// what the user asked for; end quietly, as Unix tools do, instead of with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await runCli(process.argv.slice(2), processIo);
