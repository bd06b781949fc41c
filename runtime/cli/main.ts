#!/usr/bin/env node
/**
 * Entry point of the `portals` command (package `bin`): runs {@link runCli} on the process's
 * arguments and exits with its code. See `program.ts` for the commands.
 */
import { processIo } from "./io.js";
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv.slice(2), processIo);
