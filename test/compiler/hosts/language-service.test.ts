/**
 * The language-service plugin portals-ts/language-service (docs/compiler.md, "Hosts"): on a
 * language service in memory, and in a real tsserver that loads the built plugin by its package
 * name, as an editor does.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import * as ts from "typescript";
import { afterAll, describe, expect, test } from "vitest";
import { languageServicePlugin } from "../../../compiler/hosts/language-service.js";
import { ROOT } from "../fixtures.js";

const APP = [
  'import { Tasks, type PortalRef } from "portals-ts";',
  "declare const p: PortalRef<number, number>;",
  "export const t = Tasks.asker(p, async (x: number, ctx) => {",
  "  await fetch(String(x));",
  "  ctx.emit(await p.request(x));",
  "});",
  "",
].join("\n");

/** A language service over in-memory files (with the repository's `portals-ts` paths). */
function languageService(files: Record<string, string>): ts.LanguageService {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    types: [],
    baseUrl: ROOT,
    paths: { "portals-ts": ["./runtime/index.ts"] },
  };
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => Object.keys(files),
    getScriptVersion: () => "1",
    getScriptSnapshot: (name) => {
      const text = files[name] ?? ts.sys.readFile(name);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => ROOT,
    getCompilationSettings: () => options,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (name) => name in files || ts.sys.fileExists(name),
    readFile: (name) => files[name] ?? ts.sys.readFile(name),
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  return ts.createLanguageService(host);
}

describe("the plugin on a language service", () => {
  test("adds the compiler's diagnostics to a file's semantic diagnostics, with their positions", () => {
    const file = join(ROOT, ".cache/ls-memory/src/app.ts");
    const ls = languageService({ [file]: APP });
    const plugged = languageServicePlugin({ typescript: ts }).create({ languageService: ls, config: {} } as unknown as ts.server.PluginCreateInfo);
    const portals = plugged.getSemanticDiagnostics(file).filter((d) => d.source === "portals-ts");
    expect(portals.map((d) => [d.code, d.file!.getLineAndCharacterOfPosition(d.start!).line + 1, ts.flattenDiagnosticMessageText(d.messageText, "\n").slice(0, 40)])).toEqual([
      [93002, 4, "portals: await of fetch(...) in an opera"],
    ]);
    // Everything else is the language service's own.
    expect(plugged.getSyntacticDiagnostics(file)).toEqual(ls.getSyntacticDiagnostics(file));
    expect(plugged.getQuickInfoAtPosition(file, APP.indexOf("fetch"))?.kind).toBe("function");
  });

  test("a file without operators gets nothing more", () => {
    const file = join(ROOT, ".cache/ls-memory/src/plain.ts");
    const ls = languageService({ [file]: "export const items = [1, 2].map(async (x) => x);\n" });
    const plugged = languageServicePlugin({ typescript: ts }).create({ languageService: ls, config: {} } as unknown as ts.server.PluginCreateInfo);
    expect(plugged.getSemanticDiagnostics(file)).toEqual(ls.getSemanticDiagnostics(file));
  });

  test("the built package entry is the factory tsserver requires", () => {
    const entry = createRequire(import.meta.url)(join(ROOT, "language-service")) as unknown;
    expect(typeof entry).toBe("function");
    expect(typeof (entry as { languageServicePlugin?: unknown }).languageServicePlugin).toBe("function");
  });
});

describe("in tsserver", () => {
  const dir = mkdtempSync(join(ROOT, ".cache/ls-server-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("tsserver loads portals-ts/language-service from tsconfig plugins and reports the diagnostics", { timeout: 60_000 }, async () => {
    // The project's node_modules/portals-ts is this package, as after `npm install portals-ts`.
    mkdirSync(join(dir, "node_modules"), { recursive: true });
    symlinkSync(ROOT, join(dir, "node_modules/portals-ts"), "dir");
    writeFileSync(join(dir, "app.ts"), APP);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", target: "ES2022", strict: true, skipLibCheck: true, types: [], plugins: [{ name: "portals-ts/language-service" }] },
        files: ["app.ts"],
      }),
    );
    const server = spawn(process.execPath, [join(ROOT, "node_modules/typescript/lib/tsserver.js"), "--pluginProbeLocations", dir, "--disableAutomaticTypingAcquisition"], {
      cwd: dir,
      stdio: ["pipe", "pipe", "inherit"],
    });
    try {
      const responses = new Map<number, { body?: unknown }>();
      let buffer = "";
      server.stdout.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("utf8");
        for (;;) {
          const header = /Content-Length: (\d+)\r\n\r\n/.exec(buffer);
          if (header === null) break;
          const start = header.index + header[0].length;
          const length = Number(header[1]);
          if (Buffer.byteLength(buffer.slice(start)) < length) break;
          const body = Buffer.from(buffer.slice(start)).subarray(0, length).toString("utf8");
          buffer = Buffer.from(buffer.slice(start)).subarray(length).toString("utf8");
          const message = JSON.parse(body) as { type: string; request_seq?: number; body?: unknown };
          if (message.type === "response") responses.set(message.request_seq!, message);
        }
      });
      const request = (seq: number, command: string, args: object) => server.stdin.write(`${JSON.stringify({ seq, type: "request", command, arguments: args })}\n`);
      const reply = async (seq: number) => {
        for (let waited = 0; !responses.has(seq); waited += 50) {
          if (waited > 50_000) throw new Error(`tsserver did not answer request ${seq}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        return responses.get(seq)!;
      };
      request(1, "open", { file: join(dir, "app.ts") });
      request(2, "semanticDiagnosticsSync", { file: join(dir, "app.ts") });
      const diagnostics = (await reply(2)).body as { code: number; start: { line: number; offset: number }; text: string }[];
      expect(diagnostics.filter((d) => d.code === 93002).map((d) => [d.start.line, d.start.offset, d.text.slice(0, 40)])).toEqual([[4, 3, "portals: await of fetch(...) in an opera"]]);
    } finally {
      server.kill();
    }
  });
});
