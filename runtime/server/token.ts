/**
 * The bearer token of a server's mutating calls (docs/live.md, "The server"): given with
 * `--token`, or generated at the first start, stored in the data directory (mode 0600) and
 * printed once.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A token and whether it was generated just now (then it is printed, once). */
export interface ServerToken {
  readonly token: string;
  readonly created: boolean;
}

/**
 * The token of the server with data directory `dataDir` (which exists): `given`, else the
 * stored one, else a new one (32 random bytes, base64url), stored.
 *
 * @throws Error when `given` is shorter than 16 characters, or the stored token cannot be read
 */
export function serverToken(dataDir: string, given: string | undefined): ServerToken {
  if (given !== undefined) {
    if (!usableToken(given)) throw new Error("--token: a token has at least 16 characters and no white space");
    return { token: given, created: false };
  }
  const file = join(dataDir, "token");
  if (existsSync(file)) {
    const stored = readFileSync(file, "utf8").trim();
    if (!usableToken(stored)) throw new Error(`the token in ${file} is not usable (at least 16 characters, no white space): remove the file to have one made, or give --token`);
    return { token: stored, created: false };
  }
  const token = randomBytes(32).toString("base64url");
  writeFileSync(file, token + "\n", { mode: 0o600, flag: "wx" });
  return { token, created: true };
}

/** True when `token` can be a server's token: at least 16 characters, no white space. */
export function usableToken(token: string): boolean {
  return token.length >= 16 && !/\s/.test(token);
}

/** True when the `Authorization` header `header` carries `token` (compared in constant time). */
export function authorized(header: string | undefined, token: string): boolean {
  // The scheme name is case-insensitive (RFC 9110, section 11.1).
  if (header === undefined || !/^bearer +/i.test(header)) return false;
  const given = Buffer.from(header.replace(/^bearer +/i, "").trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
