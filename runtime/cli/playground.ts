/**
 * `portals playground`: serves the playground page (`npm run build:playground` writes it to
 * `dist/playground/`; the published package ships it built) on this machine until SIGINT or
 * SIGTERM. The page is static: it compiles and runs in the browser, so the server only hands
 * out files, read-only, bound to 127.0.0.1 unless told otherwise.
 */
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyInstance } from "fastify";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { CliIo } from "./io.js";

/**
 * Where the built page is: next to the CLI's build (`dist/runtime/cli/` → `dist/playground/`),
 * also when the CLI runs from its source under tsx (`runtime/cli/` → `dist/playground/`).
 */
export const PLAYGROUND_DIR = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "../../dist/playground/" : "../../playground/", import.meta.url));

/** Options of {@link startPlayground}. */
export interface PlaygroundOptions {
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port (0: any free port). */
  readonly port: number;
  /** Directory of the built page (default {@link PLAYGROUND_DIR}). */
  readonly root?: string;
}

/**
 * Starts serving the page; resolves with the server and its URL once it listens.
 *
 * @throws Error naming `npm run build:playground` when the page was not built; what Fastify
 *   throws when the port is taken
 */
export async function startPlayground(options: PlaygroundOptions): Promise<{ readonly server: FastifyInstance; readonly url: string }> {
  const root = options.root ?? PLAYGROUND_DIR;
  if (!existsSync(`${root}/index.html`)) {
    throw new Error(`the playground page is not built (no ${root}/index.html): run npm run build:playground in the portals-ts repository`);
  }
  const server = Fastify();
  await server.register(fastifyStatic, { root, index: "index.html" });
  const host = options.host ?? "127.0.0.1";
  try {
    await server.listen({ host, port: options.port });
  } catch (thrown) {
    await server.close();
    if ((thrown as { code?: string }).code === "EADDRINUSE") throw new Error(`port ${options.port} on ${host} is in use: give another with --port <n> (0: any free port)`);
    throw thrown;
  }
  const address = server.addresses()[0] as { address: string; family: string; port: number };
  // Listening on every interface: the URL to open is this machine's.
  const local = address.address === "0.0.0.0" ? "127.0.0.1" : address.address === "::" ? "::1" : address.address;
  const shown = local.includes(":") ? `[${local}]` : local;
  return { server, url: `http://${shown}:${address.port}/` };
}

/** Serves the page until the process is told to stop. */
export async function playground(options: PlaygroundOptions, io: CliIo): Promise<void> {
  const { server, url } = await startPlayground(options);
  io.out(`portals playground on ${url} (stop with Ctrl-C)\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
}
