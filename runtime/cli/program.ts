/**
 * The `portals` command line (package `bin`):
 *
 *   portals run <module> [--seed <n>] [--max-steps <n>] [--quiet]
 *                        [--snapshot-dir <dir>] [--snapshot-every <n>] [--restore]
 *   portals plan <module> [--expanded] [--format text|dot|mermaid]
 *   portals init <dir>
 *   portals serve | deploy | apps | stop | ask | send | tail | sql   (server-commands.ts)
 *
 * `<module>` default-exports an application or an array of them. Exit codes: 0 success; 1 the
 * applications failed (the module threw while it was imported, e.g. an application definition
 * that does not validate; an application could not be launched or restored; a step threw; or
 * operators reported errors); 2 a usage error (unknown command or option, missing or bad
 * argument, a module that does not exist, parse, compile or default-export an application, a
 * missing or unsupported TypeScript for a `.ts` module), reported on stderr as one line.
 */
import { createRequire } from "node:module";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { CliIo } from "./io.js";
import { errorLine, oneLine, UsageError } from "./io.js";
import { initProject } from "./init.js";
import { loadApplications } from "./load.js";
import { PLAN_FORMATS, renderPlan, type PlanFormat } from "./plan.js";
import { checkSnapshotDir, FULL_EVERY, KEEP_CHAINS, runApplications, summaryLine } from "./run.js";
import { CallError } from "./client.js";
import { addServerCommands, port } from "./server-commands.js";
import { playground } from "./playground.js";

/** Options of `portals run` as commander parses them. */
interface RunFlags {
  seed: number;
  maxSteps?: number;
  quiet?: boolean;
  snapshotDir?: string;
  snapshotEvery?: number;
  restore?: boolean;
}

/**
 * Runs the CLI on `argv` (the arguments after `portals`, e.g. `["run", "app.js", "--quiet"]`).
 *
 * @param argv command-line arguments without the node executable and script
 * @param io where output goes and where the time comes from
 * @returns the process exit code (0, 1 or 2; see the module header); never throws
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const error = (message: string): void => io.err(`portals: error: ${oneLine(message)}\n`);
  if (argv.length === 0) {
    error("missing command: use `portals run <module>`, `portals plan <module>` or `portals init <dir>` (see portals --help)");
    return 2;
  }
  let code = 0;
  const program = new Command("portals")
    .description("Run Portals applications (modules that default-export an application or an array of them), show their plans, create projects.")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      outputError: (text) => error(text.replace(/^error: /, "").replace(/^(unknown command .*?)\s*$/, "$1 (see portals --help)")),
    })
    .version(packageVersion(), "--version", "print the version of portals-ts")
    .showSuggestionAfterError(true);

  program
    .command("run")
    .description("launch the applications in order in a deterministic test system and run them to completion")
    .argument("<module>", "module whose default export is an application or an array of them")
    .option(
      "--seed <n>",
      "seed of the scheduler's choice among components ready at the same time (an integer); it changes the output only where " +
        "independent work interleaves, e.g. a sequencer merging several inputs, and a restored run keeps its snapshot's",
      integer(Number.MIN_SAFE_INTEGER),
      0,
    )
    .option("--max-steps <n>", "stop after this many steps (a non-negative integer)", integer(0))
    .option("--quiet", "do not print info lines (logger and ctx.log.info); warnings, errors and the summary still go to stderr")
    .option(
      "--snapshot-dir <dir>",
      `take snapshots into this directory (created if missing), a full one every ${FULL_EVERY} and deltas in between; the newest ` +
        `${KEEP_CHAINS} chains (a full snapshot and its deltas) are kept, at most ${KEEP_CHAINS * FULL_EVERY} snapshots; sink output is committed with them`,
    )
    .option("--snapshot-every <n>", "a snapshot every n steps (needs --snapshot-dir; default: only at the end)", integer(1))
    .option("--restore", "continue from the newest readable snapshot in --snapshot-dir (start afresh if there is none)")
    .action(async (module: string, flags: RunFlags, command: Command) => {
      if ((flags.snapshotEvery !== undefined || flags.restore) && flags.snapshotDir === undefined) {
        throw new UsageError(`${flags.restore ? "--restore" : "--snapshot-every"} needs --snapshot-dir <dir>`);
      }
      // Before the module is imported: a bad argument should not wait for the module's side effects.
      if (flags.snapshotDir !== undefined) checkSnapshotDir(flags.snapshotDir);
      const apps = await loadApplications(module);
      const result = await runApplications(apps, { ...flags, seedGiven: command.getOptionValueSource("seed") === "cli" }, io);
      io.err(summaryLine(result, flags.maxSteps) + "\n");
      code = result.errors > 0 ? 1 : 0;
    });

  program
    .command("plan")
    .description("print what the applications are made of: their parts, and the portals with who serves and who asks them")
    .argument("<module>", "module whose default export is an application or an array of them")
    .option("--expanded", "the plan the engine runs instead, portals expanded into internal sequencers, splitters and streams (app.explain())")
    .addOption(new Option("--lowered").hideHelp())
    .addOption(new Option("--format <format>", "text, or a graph to draw: dot (Graphviz) or mermaid").choices(PLAN_FORMATS).default("text"))
    .action(async (module: string, flags: { expanded?: boolean; lowered?: boolean; format: PlanFormat }) => {
      const apps = await loadApplications(module);
      io.out(renderPlan(apps, { expanded: flags.expanded === true || flags.lowered === true, format: flags.format }) + "\n");
    });

  program
    .command("init")
    .description("create a project that uses portals-ts: an ES module package with TypeScript, tspc, Vitest and an application with a portal and its test")
    .argument("<dir>", "a new or empty directory")
    .action((dir: string) => {
      const files = initProject(dir);
      const cd = /^[\w./-]+$/.test(dir) ? dir : JSON.stringify(dir);
      io.out(`created ${dir}: ${files.join(", ")}\nnext:\n  cd ${cd}\n  npm install\n  npm test\n  npm start\n`);
    });

  program
    .command("playground")
    .description("serve the playground page on this machine: write, compile and run applications in the browser (stop with Ctrl-C)")
    .option("--host <host>", "interface to listen on; the default serves this machine only", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", port, 5173)
    .action(async (flags: { host: string; port: number }) => {
      await playground(flags, io);
    });

  addServerCommands(program, io);

  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      // Help and version end with exit code 0; commander already wrote its (one-line) error.
      return thrown.exitCode === 0 ? 0 : 2;
    }
    if (thrown instanceof UsageError) {
      error(thrown.message);
      return 2;
    }
    error(thrown instanceof CallError ? thrown.message : errorLine(thrown));
    return 1;
  }
}

/** The version in portals-ts's package.json (through the package's self-reference). */
function packageVersion(): string {
  return (createRequire(import.meta.url)("portals-ts/package.json") as { version: string }).version;
}

/** A commander option parser for an integer `>= min`. */
function integer(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isSafeInteger(n) || n < min) {
      const kind = min === 0 ? "a non-negative integer" : min === 1 ? "a positive integer" : "an integer";
      throw new InvalidArgumentError(Number.isInteger(n) && n >= min ? `expected ${kind} of at most ${Number.MAX_SAFE_INTEGER}.` : `expected ${kind}.`);
    }
    return n;
  };
}
