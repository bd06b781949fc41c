/**
 * `portals sql`: statements on a table of portals-ts/sql (docs/live.md, "Client commands").
 *
 *   portals sql --table /<app>/portals/<table> -e "<statements>"   run them, exit 1 at the first that fails
 *   portals sql --table …                                           a prompt (stdin a terminal)
 *   portals sql --table … < script.sql                             the statements of stdin, as -e
 *
 * Every run is one session (sql-client.ts): statements run in order, a transaction spans
 * statements, and a statement retried after a lost connection is applied once. A transaction
 * holds its keys' locks until the session ends it, so every way out of the shell (`\q`, Ctrl-D,
 * the end of the input or of `-e`, a failed statement that stops a script, SIGINT, SIGTERM,
 * SIGHUP) first sends ROLLBACK when the session has a transaction open.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import type { SqlReply } from "../sql/protocol.js";
import { CallError, serverAddress } from "./client.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";
import { SqlSession, sqlTableRef } from "./sql-client.js";
import { formatReply, formatRows } from "./sql-format.js";
import { splitStatements, transactionCommand, withoutLeadingComments, type OpenContext } from "./sql-text.js";

/** Flags of `portals sql` as commander parses them. */
export interface SqlFlags {
  readonly server?: string;
  readonly token?: string;
  readonly table?: string;
  readonly execute?: string;
}

/** Lines of history kept. */
export const HISTORY_SIZE = 500;

/** The shell's commands, as messages list them. */
const COMMANDS = "\\d, \\timing [on|off], \\q and \\?";

const HELP = `Statements end with ; and may span lines. Commands:
  \\d                the table's columns
  \\timing [on|off]  print how long each statement took
  \\q                quit (Ctrl-D too); an open transaction is rolled back
  \\?                this help
The prompt is sql*> inside a transaction, sql!> inside one that failed (end it with ROLLBACK);
...> continues a statement, sql'> sql"> sql$> a quote.
`;

/** The signals that stop the shell (after the statement under way, and a ROLLBACK of an open transaction). */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Where the shell's signals come from: the process, or an emitter in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** The terminal of the prompt: where it writes, and where signals come from. */
export interface SqlTerminal {
  readonly output: NodeJS.WritableStream;
  readonly signals: SignalSource;
}

/**
 * Runs `portals sql` with `flags`: the statements of `--execute`, else a prompt when `input`
 * is a terminal, else the statements read from `input`. Before it returns or throws, a
 * transaction the session left open is rolled back.
 *
 * @throws UsageError for a missing or malformed `--table` (or `PORTALS_SQL_TABLE`) or server
 * @throws CallError for the first statement or command that fails (with `--execute` or a
 *   script), a call the server refuses or that cannot reach it, or a stop by a signal
 */
export async function sqlCommand(
  flags: SqlFlags,
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
  terminal: SqlTerminal = { output: process.stdout, signals: process },
): Promise<void> {
  const given = flags.table ?? env["PORTALS_SQL_TABLE"];
  if (given === undefined) throw new UsageError("name the table with --table /<app>/portals/<table> (its query portal, e.g. /shop/portals/kv), or set PORTALS_SQL_TABLE");
  const table = sqlTableRef(given, flags.table !== undefined ? "--table" : "PORTALS_SQL_TABLE");
  const address = serverAddress(flags, env);
  const session = new SqlSession(address, table);
  const target: SqlTarget = { server: address.server, ...table };
  const interactive = flags.execute === undefined && input.isTTY === true;
  const lines = new SqlLines(session, io, !interactive, target);

  // A signal stops the run after the statement under way (its answer cannot be called back);
  // a second one finds no listener and ends the process at once.
  const run: { stopped: NodeJS.Signals | null } = { stopped: null };
  let reader: Interface | null = null;
  const stop = (signal: NodeJS.Signals): void => {
    run.stopped = signal;
    lines.stop();
    for (const s of STOP_SIGNALS) terminal.signals.off(s, stop);
    reader?.close();
  };
  for (const s of STOP_SIGNALS) terminal.signals.on(s, stop);
  let failed = false;
  try {
    if (flags.execute !== undefined) {
      // Line by line, as a script on stdin: a line starting with \ is a command (`-e '\d'`).
      for (const line of flags.execute.split(/\r?\n/)) if (run.stopped !== null || (await lines.line(line)) === "quit") break;
      await lines.end();
    } else if (interactive) {
      io.out(`portals sql: /${table.app}/portals/${table.table} at ${address.server}; end statements with ;, \\? for help, \\q to quit\n`);
      io.err(`session ${session.id}: statements run in order; a transaction lasts until COMMIT or ROLLBACK\n`);
      const historyFile = env["PORTALS_SQL_HISTORY"] ?? join(homedir(), ".portals_sql_history");
      reader = createInterface({ input, output: terminal.output, terminal: true, history: readHistory(historyFile), historySize: HISTORY_SIZE, removeHistoryDuplicates: false });
      await prompt(lines, reader, historyFile, io);
    } else {
      reader = createInterface({ input, terminal: false, crlfDelay: Infinity });
      for await (const line of reader) if ((await lines.line(line)) === "quit") break;
      reader.close();
      await lines.end();
    }
  } catch (thrown) {
    failed = true;
    throw thrown;
  } finally {
    for (const s of STOP_SIGNALS) terminal.signals.off(s, stop);
    await lines.leave(failed || run.stopped !== null);
  }
  if (run.stopped !== null) throw new CallError(`stopped by ${run.stopped}${interactive ? "" : ": the statements after the last answer were not run"}`);
}

/** What runs a statement: a {@link SqlSession}, or a fake in tests. */
export interface StatementRunner {
  /** The session the statements run in. */
  readonly id: string;
  /** Runs `sql` in the session, or outside it with `alone` (see {@link SqlSession.run}). */
  run(sql: string, options?: { readonly alone?: boolean }): Promise<SqlReply>;
}

/** The table a shell runs on, for `\d` and the commands its messages suggest. */
export interface SqlTarget {
  /** The server's URL. */
  readonly server: string;
  readonly app: string;
  readonly table: string;
}

/**
 * The session's transaction as the shell saw it answered: `none`, `open` after a BEGIN, or
 * `aborted` after a statement of it failed (still open: only COMMIT or ROLLBACK ends it).
 */
export type TransactionState = "none" | "open" | "aborted";

/** The continuation prompt inside each kind of unfinished statement. */
const CONTINUATION: Readonly<Record<Exclude<OpenContext, null> | "", string>> = { "": "...> ", "'": "sql'> ", '"': 'sql"> ', $: "sql$> ", "/*": "sql/*> " };

/**
 * Lines in, statements run, answers out: the shell without the terminal. Statements end with
 * `;` outside quotes and comments and may span lines; a line starting with `\` (outside an
 * unfinished quote or comment) is a command of the shell, and `\q` on a line of its own quits
 * wherever it is typed.
 */
export class SqlLines {
  private buffer = "";
  private open: OpenContext = null;
  private timing = false;
  private txn: TransactionState = "none";
  private stopped = false;

  /**
   * @param stopOnError true for scripts and `-e`: a failed statement or command throws instead of
   *   being printed as `ERROR: …` on stderr
   * @param target the table, for `\d` and the hint after a conflict
   */
  constructor(
    private readonly runner: StatementRunner,
    private readonly io: CliIo,
    private readonly stopOnError: boolean,
    private readonly target?: SqlTarget,
  ) {}

  /** The session's transaction, as the answers so far tell it. */
  get transaction(): TransactionState {
    return this.txn;
  }

  /**
   * `sql> `, `sql*> ` in a transaction, `sql!> ` in an aborted one; while a statement is
   * unfinished `...> `, or `sql'> `, `sql"> `, `sql$> `, `sql/*> ` inside a quote or comment.
   */
  get prompt(): string {
    if (this.buffer !== "") return CONTINUATION[this.open ?? ""];
    return this.txn === "open" ? "sql*> " : this.txn === "aborted" ? "sql!> " : "sql> ";
  }

  /** Runs no more statements (a signal): those of a line already taken are dropped. */
  stop(): void {
    this.stopped = true;
  }

  /** Forgets the unfinished statement (Ctrl-C). */
  clear(): void {
    this.buffer = "";
    this.open = null;
  }

  /**
   * Takes one line: runs the statements it completes, or the command it is.
   *
   * @returns `"quit"` for `\q` (which drops an unfinished statement)
   * @throws CallError as {@link SqlLines.statement}, and for an unknown command when errors stop the run
   */
  async line(text: string): Promise<"quit" | undefined> {
    const trimmed = text.trim();
    // \q alone is the way out of an unfinished statement or quote too.
    if (trimmed === "\\q") {
      this.clear();
      return "quit";
    }
    if (trimmed.startsWith("\\") && this.open === null) return this.command(trimmed);
    const { statements, rest, open } = splitStatements(this.buffer + text + "\n");
    // A comment or blank line after the last statement leaves nothing to continue.
    this.buffer = open === null && withoutLeadingComments(rest) === "" ? "" : rest;
    this.open = open;
    for (const statement of statements) {
      if (this.stopped) break;
      await this.statement(statement);
    }
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
    this.clear();
    if (last !== "" && !this.stopped) await this.statement(last);
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
    this.follow(sql, reply);
    if ("error" in reply) {
      const hint = reply.code === "conflict" ? this.conflictHint(reply.error) : undefined;
      if (this.stopOnError) throw new CallError(hint === undefined ? reply.error : `${reply.error}; ${hint}`);
      this.io.err(formatReply(sql, reply) + (hint === undefined ? "" : `HINT: ${hint}\n`));
    } else this.io.out(formatReply(sql, reply));
    if (this.timing) this.io.out(`Time: ${(this.io.now() - started).toFixed(3)} ms\n`);
  }

  /**
   * Ends the transaction the session has open (or aborted) with ROLLBACK, in the session: on
   * the way out, so that no key stays locked after the shell is gone. Says so on stderr at a
   * prompt, and at the end of a script that left one open; a ROLLBACK that fails is a warning
   * naming the command that ends the transaction later.
   *
   * @param quietly true after a failure or a signal already said why the run ended (scripts)
   */
  async leave(quietly = false): Promise<void> {
    const was = this.txn;
    if (was === "none") return;
    let failure: string | undefined;
    try {
      const reply = await this.runner.run("ROLLBACK");
      if ("error" in reply) failure = reply.error;
    } catch (thrown) {
      if (!(thrown instanceof CallError || thrown instanceof UsageError)) throw thrown;
      failure = thrown.message;
    }
    if (failure !== undefined) {
      const how = this.target === undefined ? "send ROLLBACK in the session" : this.rollbackCommand(this.runner.id);
      this.io.err(`portals: warning: the transaction of session ${this.runner.id} was not rolled back (${failure}); its keys stay locked until it is: ${how}\n`);
      return;
    }
    this.txn = "none";
    if (!this.stopOnError) this.io.err(was === "open" ? "ROLLBACK (the open transaction was rolled back on exit)\n" : "ROLLBACK (the aborted transaction was ended on exit)\n");
    else if (!quietly) this.io.err("portals: warning: the statements ended inside a transaction (BEGIN without COMMIT): it was rolled back\n");
  }

  /**
   * Follows the session's transaction from the answer to `sql`: a BEGIN answered opens one;
   * COMMIT or ROLLBACK answered, or COMMIT refused as `aborted`, ends it; any other failure in
   * it aborts it (as the table does), but a `session` refusal (BEGIN twice) was not run.
   */
  private follow(sql: string, reply: SqlReply): void {
    const command = transactionCommand(sql);
    if (!("error" in reply)) {
      if (command === "BEGIN") this.txn = "open";
      else if (command === "COMMIT" || command === "ROLLBACK") this.txn = "none";
    } else if (this.txn !== "none") {
      if (command === "COMMIT" && reply.code === "aborted") this.txn = "none";
      else if (reply.code !== "session") this.txn = "aborted";
    }
  }

  private async command(text: string): Promise<"quit" | undefined> {
    const [name, arg, extra] = text.split(/\s+/);
    if (name === "\\?" && arg === undefined) this.io.out(HELP);
    else if (name === "\\timing" && extra === undefined && (arg === undefined || arg === "on" || arg === "off")) {
      this.timing = arg === undefined ? !this.timing : arg === "on";
      this.io.out(`Timing is ${this.timing ? "on" : "off"}.\n`);
    } else if (name === "\\d" && this.target !== undefined && (arg === undefined || (extra === undefined && arg.toLowerCase() === this.target.table.toLowerCase()))) {
      await this.describe(this.target.table);
    } else {
      const message = `invalid command ${text}: the commands are ${COMMANDS}`;
      if (this.stopOnError) throw new CallError(message);
      this.io.err(`${message}\n`);
    }
    return undefined;
  }

  /**
   * `\d`: the table's columns, from the column names of `SELECT * FROM <table> LIMIT 0`, run
   * outside the session (no locks, and it works in an aborted transaction too).
   */
  private async describe(table: string): Promise<void> {
    const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(table) ? table : `"${table.replace(/"/g, '""')}"`;
    let reply: SqlReply;
    try {
      reply = await this.runner.run(`SELECT * FROM ${name} LIMIT 0`, { alone: true });
    } catch (thrown) {
      if (!(thrown instanceof CallError)) throw thrown;
      return this.fail(thrown.message);
    }
    if ("error" in reply) return this.fail(reply.error);
    if (!("columns" in reply)) return this.fail(`the table answered ${JSON.stringify(reply)} to SELECT, not rows`);
    this.io.out(`Table "${table}"\n` + formatRows({ columns: ["column"], rows: reply.columns.map((c) => [c]) }));
  }

  /** A failed command: thrown when errors stop the run, else `ERROR: …` on stderr. */
  private fail(message: string): void {
    if (this.stopOnError) throw new CallError(message);
    this.io.err(`ERROR: ${message}\n`);
  }

  /** For a conflict with another session's transaction: how to end it when its client is gone. */
  private conflictHint(error: string): string | undefined {
    const quoted = /locked by the transaction of session ("(?:[^"\\]|\\.)*")/.exec(error)?.[1];
    if (quoted === undefined || this.target === undefined) return undefined;
    const session = JSON.parse(quoted) as string;
    if (session === this.runner.id) return undefined;
    return `if session ${quoted} was abandoned with its transaction open, end that transaction: ${this.rollbackCommand(session)}`;
  }

  /** The curl command that sends ROLLBACK in `session`, quoted for a POSIX shell. */
  private rollbackCommand(session: string): string {
    const body = JSON.stringify({ sql: "ROLLBACK", session }).replace(/'/g, "'\\''");
    const { server, app, table } = this.target!;
    return `curl -H "Authorization: Bearer $PORTALS_TOKEN" -H 'content-type: application/json' -d '${body}' ${server}/v1/sql/${encodeURIComponent(app)}/${encodeURIComponent(table)}`;
  }
}

/**
 * The prompt on a terminal (`reader`): line editing, history kept in `historyFile`, Ctrl-C drops
 * the unfinished statement; until `\q`, Ctrl-D or the reader is closed.
 */
async function prompt(lines: SqlLines, reader: Interface, historyFile: string, io: CliIo): Promise<void> {
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
