/**
 * Rejected programs, one folder per construct (the counterpart of `fixtures/`): `input.ts` is
 * compiled and its diagnostics, one `line:column message` per line, must be `errors.txt` (a
 * file snapshot). Every operator of a file is checked, so one folder may hold several.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ts from "typescript";
import { describe, expect, test } from "vitest";
import { createTransformer } from "../../compiler/core/transform.js";
import { ROOT } from "./fixtures.js";

const REJECTED = join(ROOT, "test/compiler/rejected");

/** The diagnostics of compiling `file`, as `line:column message` lines. */
function diagnostics(file: string): string {
  const lines: string[] = [];
  ts.transpileModule(readFileSync(file, "utf8"), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    transformers: {
      before: [
        createTransformer(ts, {
          root: ROOT,
          onFile: (_file, result) => {
            for (const d of result.diagnostics) {
              const { line, character } = d.file!.getLineAndCharacterOfPosition(d.start!);
              lines.push(`${line + 1}:${character + 1} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
            }
          },
        }),
      ],
    },
  });
  return lines.join("\n") + "\n";
}

const cases = readdirSync(REJECTED, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe.each(cases)("%s", (name) => {
  test("is refused with errors.txt", async () => {
    const found = diagnostics(join(REJECTED, name, "input.ts"));
    expect(found.trim()).not.toBe("");
    await expect(found).toMatchFileSnapshot(join(REJECTED, name, "errors.txt"));
  });
});
