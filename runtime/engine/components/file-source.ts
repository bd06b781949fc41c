/**
 * `fromFile(file, { atomSize })`: JSON lines read synchronously in chunks, the one source that
 * needs Node's file system.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { OperatorError } from "../../core/errors.js";
import type { LogWriter } from "../../core/log.js";
import { atom, sealAtom, type Atom } from "../atom.js";
import { sourceError, zeros, type AtomSource } from "./sources.js";

const CHUNK = 1 << 16;
const NEWLINE = 0x0a;

/**
 * `fromFile(file, { atomSize })`: JSON lines read synchronously in chunks. `offset` is the byte
 * offset of the first unread line. A line that is not JSON fails its atom; the other lines of
 * the atom are still delivered with it, and later atoms are unaffected.
 */
export class FileSource implements AtomSource {
  private readonly fd: number;
  /** Byte offset of the first line not handed out yet. */
  offset = 0;
  private line = 0;
  private buffer: Buffer = Buffer.alloc(0);
  /** Where the first line not handed out yet starts in {@link buffer}. */
  private start = 0;
  private eof = false;
  private closed = false;

  /** @throws Error naming the file when it cannot be opened */
  constructor(
    private readonly path: string,
    private readonly file: string,
    private readonly atomSize: number,
    private readonly write: LogWriter,
  ) {
    try {
      this.fd = openSync(file, "r");
    } catch (thrown) {
      throw new Error(`generator ${path}: cannot open ${file} (${(thrown as Error).message}); check the path given to fromFile`);
    }
  }

  position(): { offset: number; line: number } {
    return { offset: this.offset, line: this.line };
  }

  seek(p: { offset: number; line: number }): void {
    this.offset = p.offset;
    this.line = p.line;
    this.buffer = Buffer.alloc(0);
    this.start = 0;
    this.eof = false;
  }

  next(): Atom {
    const values: unknown[] = [];
    let error: OperatorError | undefined;
    while (values.length < this.atomSize) {
      const text = this.nextLine();
      if (text === undefined) break;
      if (text.trim() === "") continue;
      try {
        values.push(JSON.parse(text));
      } catch (thrown) {
        error ??= sourceError(this.path, new Error(`${this.file}:${this.line}: ${(thrown as Error).message}`), this.write);
      }
    }
    if (values.length === 0 && error === undefined) {
      this.close();
      return sealAtom();
    }
    return atom(zeros(values.length), values, error, false, false);
  }

  /** Closes the file (at the end, or when the launch that opened it fails). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  /** The next line without its newline, or `undefined` at the end of the file. */
  private nextLine(): string | undefined {
    for (;;) {
      // Lines are read in place (from `start`), not cut off the buffer one by one: a sub-buffer
      // per line was a tenth of a file-fed application's time (benchmark workload 11).
      const buffer = this.buffer;
      const at = buffer.indexOf(NEWLINE, this.start);
      if (at >= 0 || (this.eof && buffer.length > this.start)) {
        const end = at >= 0 ? at : buffer.length;
        const text = buffer.toString("utf8", this.start, end);
        const next = at >= 0 ? at + 1 : end;
        this.offset += next - this.start;
        this.start = next;
        this.line++;
        return text.endsWith("\r") ? text.slice(0, -1) : text;
      }
      if (this.eof) return undefined;
      const rest = buffer.length - this.start;
      const chunk = Buffer.allocUnsafe(CHUNK);
      const read = readSync(this.fd, chunk, 0, CHUNK, this.offset + rest);
      if (read === 0) {
        this.eof = true;
      } else {
        this.buffer = Buffer.concat([buffer.subarray(this.start), chunk.subarray(0, read)]);
        this.start = 0;
      }
    }
  }
}

