/**
 * `portals sql`: statements on a table of portals-ts/sql (docs/live.md, "Client commands").
 *
 *   portals sql --table /<app>/portals/<table> -e "<statements>"   run them, exit 1 at the first that fails
 *   portals sql --table …                                           a prompt (stdin a terminal)
 *   portals sql --table … < script.sql                             the statements of stdin, as -e
 *
 * Every run is one session (sql-client.ts): statements run in order, a transaction spans
 * statements, and a statement retried after a lost connection is applied once.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { SqlReply } from "../sql/protocol.js";
import { CallError, serverAddress } from "./client.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";
import { SqlSession, sqlTableRef } from "./sql-client.js";
import { formatReply } from "./sql-format.js";
import { scriptStatements, splitStatements, withoutLeadingComments } from "./sql-text.js";

/** Flags of `portals sql` as commander parses them. */
export interface SqlFlags {
  readonly server?: string;
  readonly token?: string;
  readonly table?: string;
  readonly execute?: string;
}

/** Lines of history kept. */
export const HISTORY_SIZE = 500;

const HELP = `Statements end with ; and may span lines. Commands:
  \\timing [on|off]  print how long each statement took
  \\q                quit (Ctrl-D too)
  \\?                this help
`;

/**
 * Runs `portals sql` with `flags`: the statements of `--execute`, else a prompt when `input`
 * is a terminal, else the statements read from `input`.
 *
 * @throws UsageError for a missing or malformed `--table` (or `PORTALS_SQL_TABLE`) or server
 * @throws CallError for the first statement that fails (with `--execute` or a script), or a
 *   call the server refuses or that cannot reach it
 */
export async function sqlCommand(flags: SqlFlags, io: CliIo, env: NodeJS.ProcessEnv = process.env, input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin): Promise<void> {
  const given = flags.table ?? env["PORTALS_SQL_TABLE"];
  if (given === undefined) throw new UsageError("name the table with --table /<app>/portals/<table> (its query portal, e.g. /shop/portals/kv), or set PORTALS_SQL_TABLE");
  const table = sqlTableRef(given, flags.table !== undefined ? "--table" : "PORTALS_SQL_TABLE");
  const address = serverAddress(flags, env);
  const session = new SqlSession(address, table);
  if (flags.execute !== undefined) {
    const lines = new SqlLines(session, io, true);
    for (const statement of scriptStatements(flags.execute)) await lines.statement(statement);
    return;
  }
  if (input.isTTY === true) {
    io.out(`portals sql: /${table.app}/portals/${table.table} at ${address.server}; end statements with ;, \\? for help, \\q to quit\n`);
    await prompt(new SqlLines(session, io, false), input, env["PORTALS_SQL_HISTORY"] ?? join(homedir(), ".portals_sql_history"), io);
    return;
  }
  const lines = new SqlLines(session, io, true);
  const reader = createInterface({ input, terminal: false, crlfDelay: Infinity });
  for await (const line of reader) if ((await lines.line(line)) === "quit") break;
  reader.close();
  await lines.end();
}

/** What runs a statement: a {@link SqlSession}, or a fake in tests. */
export interface StatementRunner {
  run(sql: string): Promise<SqlReply>;
}

/**
 * Lines in, statements run, answers out: the shell without the terminal. Statements end with
 * `;` outside quotes and comments and may span lines; a line starting with `\` (outside an
 * unfinished quote or comment) is a command of the shell.
 */
export class SqlLines {
  private buffer = "";
  private timing = false;

  /**
   * @param stopOnError true for scripts and `-e`: a failed statement throws instead of being
   *   printed as `ERROR: …` on stderr
   */
  constructor(
    private readonly runner: StatementRunner,
    private readonly io: CliIo,
    private readonly stopOnError: boolean,
  ) {}

  /** `sql> `, or `...> ` while a statement is unfinished. */
  get prompt(): string {
    return this.buffer === "" ? "sql> " : "...> ";
  }

  /** Forgets the unfinished statement (Ctrl-C). */
  clear(): void {
    this.buffer = "";
  }

  /**
   * Takes one line: runs the statements it completes, or the command it is.
   *
   * @returns `"quit"` for `\q`
   * @throws CallError as {@link SqlLines.statement}
   */
  async line(text: string): Promise<"quit" | undefined> {
    if (text.trimStart().startsWith("\\") && splitStatements(this.buffer).open === null) return this.command(text.trim());
    const { statements, rest, open } = splitStatements(this.buffer + text + "\n");
    // A comment or blank line after the last statement leaves nothing to continue.
    this.buffer = open === null && withoutLeadingComments(rest) === "" ? "" : rest;
    for (const statement of statements) await this.statement(statement);
    return undefined;
  }

  /**
   * The end of the input: runs the statement left unfinished, as a script's last statement
   * needs no `;`.
   *
   * @throws CallError as {@link SqlLines.statement}
   */
  async end(): Promise<void> {
    const last = withoutLeadingComments(this.buffer);
    this.buffer = "";
    if (last !== "") await this.statement(last);
  }

  /**
   * Runs one statement and prints its answer (and the time it took with `\timing`).
   *
   * @throws CallError when it fails and errors stop the run, or when the call fails and errors stop the run
   */
  async statement(sql: string): Promise<void> {
    const started = this.io.now();
    let reply: SqlReply;
    try {
      reply = await this.runner.run(sql);
    } catch (thrown) {
      if (this.stopOnError || !(thrown instanceof CallError)) throw thrown;
      this.io.err(`ERROR: ${thrown.message}\n`);
      return;
    }
    if ("error" in reply && this.stopOnError) throw new CallError(reply.error);
    if ("error" in reply) this.io.err(formatReply(sql, reply));
    else this.io.out(formatReply(sql, reply));
    if (this.timing) this.io.out(`Time: ${(this.io.now() - started).toFixed(3)} ms\n`);
  }

  private command(text: string): "quit" | undefined {
    const [name, arg] = text.split(/\s+/);
    if (name === "\\q") return "quit";
    if (name === "\\?") this.io.out(HELP);
    else if (name === "\\timing" && (arg === undefined || arg === "on" || arg === "off")) {
      this.timing = arg === undefined ? !this.timing : arg === "on";
      this.io.out(`Timing is ${this.timing ? "on" : "off"}.\n`);
    } else this.io.err(`invalid command ${text}: try \\? for the commands\n`);
    return undefined;
  }
}

/** The prompt on a terminal: line editing, history in `historyFile`, Ctrl-C drops the unfinished statement. */
async function prompt(lines: SqlLines, input: NodeJS.ReadableStream, historyFile: string, io: CliIo): Promise<void> {
  const reader = createInterface({ input, output: process.stdout, terminal: true, history: readHistory(historyFile), historySize: HISTORY_SIZE, removeHistoryDuplicates: false });
  let warned = false;
  reader.on("history", (history: string[]) => {
    try {
      writeHistory(historyFile, history);
    } catch (thrown) {
      if (!warned) io.err(`portals: warning: cannot keep the history in ${historyFile} (${(thrown as Error).message}); set PORTALS_SQL_HISTORY to another file\n`);
      warned = true;
    }
  });
  let busy = false;
  reader.on("SIGINT", () => {
    // A statement sent cannot be called back; its answer (bounded by the server's timeout) comes first.
    if (busy) return;
    lines.clear();
    if (reader.line !== "") {
      reader.write(null, { ctrl: true, name: "e" });
      reader.write(null, { ctrl: true, name: "u" });
    }
    io.out("\n");
    reader.setPrompt(lines.prompt);
    reader.prompt();
  });
  reader.setPrompt(lines.prompt);
  reader.prompt();
  let quit = false;
  for await (const line of reader) {
    busy = true;
    quit = (await lines.line(line)) === "quit";
    busy = false;
    if (quit) break;
    reader.setPrompt(lines.prompt);
    reader.prompt();
  }
  reader.close();
  // Ctrl-D leaves the cursor after the prompt: the user's shell should start on a line of its own.
  if (!quit) io.out("\n");
}

/**
 * The history in `file`, newest first as readline takes it (the file has the newest last, as
 * shells keep it); none when the file does not exist or cannot be read.
 */
export function readHistory(file: string): string[] {
  if (!existsSync(file)) return [];
  try {
    return readFileSync(file, "utf8").split("\n").filter((l) => l !== "").slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

/**
 * Writes `history` (newest first) to `file`, newest last, readable by this user only: SQL
 * typed at a prompt may hold data that is not for everyone.
 *
 * @throws Error when the file cannot be written
 */
export function writeHistory(file: string, history: readonly string[]): void {
  writeFileSync(file, history.slice(0, HISTORY_SIZE).reverse().join("\n") + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
}
