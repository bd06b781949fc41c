/**
 * The codec and the snapshot framing run in browsers (a playground runs applications in a Web
 * Worker) with the same bytes as in Node: bundled by esbuild for the browser with nothing left
 * out, they import no Node module, touch `Buffer` only behind msgpackr's feature test, and run in
 * a bare ECMAScript context (no Buffer, process or require; TextEncoder and TextDecoder, as every
 * browser and worker has). A snapshot framed there restores in Node, one framed in Node
 * restores there, and both write the same bytes (the browser's SHA-256 is @noble/hashes', Node's
 * is node:crypto's).
 */
import { build } from "esbuild";
import { runInContext, createContext, type Context } from "node:vm";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import { createCodec } from "../../../runtime/state/codec.js";
import { frameSnapshot, SNAPSHOT_FORMAT, unframeSnapshot } from "../../../runtime/state/snapshot-format.js";
// Node's entry: snapshots here are hashed by node:crypto, as every Node system's are.
import "../../../runtime/system/node-systems.js";
import { difference, sample } from "./fidelity.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** What the bundle puts on the context's global object. */
const ENTRY = `
import { createCodec } from "./runtime/state/codec.ts";
import { frameSnapshot, unframeSnapshot } from "./runtime/state/snapshot-format.ts";
import { difference, sample } from "./test/runtime/state/fidelity.ts";
globalThis.portals = { createCodec, frameSnapshot, unframeSnapshot, difference, sample };
`;

let bundle: string;
let inputs: string[];
let context: Context;

beforeAll(async () => {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: "ts", sourcefile: "entry.ts" },
    bundle: true,
    platform: "browser",
    format: "iife",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  bundle = result.outputFiles[0]!.text;
  inputs = Object.keys(result.metafile.inputs);
  context = createContext({ TextEncoder, TextDecoder });
  runInContext(bundle, context);
}, 60_000);

/** The bundle's modules: esbuild starts each with a comment naming its file. */
function modules(): Map<string, string> {
  const parts = bundle.split(/^ {2}\/\/ (\S+)$/m);
  const out = new Map<string, string>();
  for (let i = 1; i < parts.length; i += 2) out.set(parts[i]!, parts[i + 1]!);
  return out;
}

describe("the browser bundle of the codec and the snapshot framing", () => {
  test("imports no Node module and uses no Node global but behind msgpackr's feature test", () => {
    expect(inputs.filter((i) => i.startsWith("node:") || !/^(runtime\/(state|core)\/|test\/runtime\/state\/fidelity|node_modules\/(msgpackr|@noble\/hashes)\/|entry\.ts$)/.test(i))).toEqual([]);
    expect(bundle).not.toMatch(/\brequire\s*\(|["']node:/);
    // No use of the global `process` (noble's hashes have a method of that name; an error message has the word).
    expect(bundle).not.toMatch(/(?<![.\w$])process\s*[.[]|typeof\s+process/);
    const byModule = modules();
    expect(byModule.size).toBeGreaterThan(5);
    for (const [file, code] of byModule) {
      const uses = /(?<![.\w$])Buffer\b/.test(code.replaceAll("typeof Buffer", ""));
      if (uses) {
        expect(file).toMatch(/^node_modules\/msgpackr\//);
        // The module asks first: `typeof Buffer !== "undefined"`, and writes Uint8Arrays without it.
        expect(code).toContain("typeof Buffer");
      }
    }
  });

  test("runs where there is no Buffer, process or require", () => {
    expect(runInContext("[typeof Buffer, typeof process, typeof require, typeof portals.createCodec]", context)).toEqual(["undefined", "undefined", "undefined", "function"]);
  });

  test("a snapshot framed in the bare context restores in Node, with every guarantee, and has the bytes Node writes", () => {
    const there = runInContext(`portals.frameSnapshot({ kind: "full", sequence: 7 }, portals.createCodec().encode(portals.sample(), "snapshot"))`, context) as Uint8Array;
    // Bytes cross as bytes (a file, a message): copied into this realm.
    const bytes = new Uint8Array(there);
    const { header, payload } = unframeSnapshot(bytes);
    expect(header).toEqual({ kind: "full", sequence: 7 });
    expect(new DataView(bytes.buffer).getUint16(6)).toBe(SNAPSHOT_FORMAT);
    expect(difference(sample(), createCodec().decode(payload))).toBeUndefined();
    const here = frameSnapshot({ kind: "full", sequence: 7 }, createCodec().encode(sample(), "snapshot"));
    expect(Buffer.from(here).equals(Buffer.from(bytes))).toBe(true);
  });

  test("a snapshot framed in Node restores in the bare context, with every guarantee", () => {
    context.input = frameSnapshot({ kind: "delta", sequence: 8 }, createCodec().encode(sample(), "snapshot"));
    const result = runInContext(
      `(() => {
        const { header, payload } = portals.unframeSnapshot(new Uint8Array(input));
        const decoded = portals.createCodec().decode(payload);
        return JSON.stringify({ header, difference: portals.difference(portals.sample(), decoded) ?? null, self: decoded.self === decoded, lone: Object.keys(decoded.lone)[0] === "\\uDC00key" });
      })()`,
      context,
    ) as string;
    expect(JSON.parse(result)).toEqual({ header: { kind: "delta", sequence: 8 }, difference: null, self: true, lone: true });
  });

  test("a damaged snapshot is refused in the bare context too", () => {
    const bytes = frameSnapshot({ kind: "full", sequence: 1 }, createCodec().encode({ a: 1 }));
    bytes[bytes.length - 1]! ^= 1;
    context.damaged = bytes;
    expect(() => runInContext("portals.unframeSnapshot(new Uint8Array(damaged))", context)).toThrow("the snapshot is truncated or damaged (checksum mismatch)");
  });
});
