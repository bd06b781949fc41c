/**
 * The `portals` CLI as a user runs it: a child process `node --import tsx runtime/cli/main.ts`
 * (tsx resolves `portals-ts` to the sources through tsconfig paths), asserting stdout, stderr
 * and the exit code.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test, vi } from "vitest";
import { PortalsApp } from "portals-ts";
import helloWorld from "../../../examples/hello-world/app.js";
import registry from "../../../examples/registry/app.js";
import wordCount from "../../../examples/word-count/app.js";
import { runExample } from "../../examples/run-example.js";
import { portals, portalsIn, ROOT as root, SUMMARY } from "./portals.js";

// Each case starts a Node process with tsx (about half a second alone, more on a busy machine).
vi.setConfig({ testTimeout: 60_000 });

describe("portals run with snapshots", () => {
  test("--snapshot-dir and --snapshot-every write snapshots; --restore continues from the newest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portals-cli-"));
    const first = await portals("run", "examples/word-count/app.ts", "--quiet", "--snapshot-dir", dir, "--snapshot-every", "100", "--max-steps", "250");
    expect(first.code).toBe(0);
    // Steps 100 and 200, and the end of the run (stopped by --max-steps), each with the record of its run.
    expect(readdirSync(dir).sort()).toEqual([
      "snapshot-000000000001-full.ptsnap",
      "snapshot-000000000001-full.ptsnap.run.json",
      "snapshot-000000000002-delta.ptsnap",
      "snapshot-000000000002-delta.ptsnap.run.json",
      "snapshot-000000000003-delta.ptsnap",
      "snapshot-000000000003-delta.ptsnap.run.json",
    ]);
    const second = await portals("run", "examples/word-count/app.ts", "--snapshot-dir", dir, "--restore");
    expect(second.code).toBe(0);
    expect(second.stderr.split("\n")[0]).toBe(`restored ${dir}/snapshot-000000000003-delta.ptsnap (step 250)`);
    expect(second.stdout.split("\n")[0]).toMatch(/^the \d+$/);
    expect(second.stdout.split("\n")).toHaveLength(21);
  });

  test("a run stopped by --max-steps and restored from another working directory prints the rest of the output", async () => {
    // Machine ids (which a snapshot matches continuations to their code by) are relative to the
    // project, not to the working directory: a restore from examples/ finds the same operators.
    const dir = mkdtempSync(join(tmpdir(), "portals-cli-"));
    const whole = await portals("run", "examples/previous-value/app.ts");
    const first = await portals("run", "examples/previous-value/app.ts", "--snapshot-dir", dir, "--max-steps", "40");
    const second = await portalsIn({ cwd: join(root, "examples") }, "run", "previous-value/app.ts", "--snapshot-dir", dir, "--restore");
    expect([whole.code, first.code, second.code]).toEqual([0, 0, 0]);
    expect(second.stderr.split("\n")[0]).toMatch(new RegExp(`^restored ${dir}/snapshot-\\d+-(full|delta)\\.ptsnap \\(step 40\\)$`));
    expect(first.stdout.length).toBeGreaterThan(0);
    expect(first.stdout + second.stdout).toBe(whole.stdout);
    expect(whole.stdout.split("\n")).toHaveLength(129);
  });

  test("--restore with an empty snapshot directory starts afresh", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portals-cli-"));
    const r = await portals("run", "examples/hello-world/app.ts", "--snapshot-dir", dir, "--restore");
    expect(r).toMatchObject({ code: 0, stdout: "Hello, World!\n" });
    const [first, ...rest] = r.stderr.split(/(?<=\n)/);
    expect(first).toBe(`no snapshot to restore in ${dir}; starting afresh\n`);
    expect(rest.join("")).toMatch(SUMMARY);
  });

  test("--restore and --snapshot-every need --snapshot-dir: one line, exit 2", async () => {
    expect(await portals("run", "examples/hello-world/app.ts", "--restore")).toEqual({ code: 2, stdout: "", stderr: "portals: error: --restore needs --snapshot-dir <dir>\n" });
    expect(await portals("run", "examples/hello-world/app.ts", "--snapshot-every", "0", "--snapshot-dir", "x")).toEqual({
      code: 2,
      stdout: "",
      stderr: "portals: error: option '--snapshot-every <n>' argument '0' is invalid. expected a positive integer.\n",
    });
  });
});

describe.concurrent("portals run", () => {
  test("hello-world: the greeting on stdout, the summary on stderr, exit 0", async () => {
    const r = await portals("run", "examples/hello-world/app.ts");
    expect(r).toMatchObject({ code: 0, stdout: "Hello, World!\n" });
    expect(r.stderr).toMatch(SUMMARY);
    expect(SUMMARY.exec(r.stderr)!.slice(1, 4)).toEqual(["4", "2", "1"]);
  });

  test("--quiet hides the logger lines but not the summary", async () => {
    const r = await portals("run", "examples/hello-world/app.ts", "--quiet");
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(r.stderr).toMatch(SUMMARY);
  });

  test("a module exporting an array launches the applications in order (registry, --seed 1)", async () => {
    const r = await portals("run", "--seed", "1", "examples/registry/app.ts");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      'stock {"item":"apple","level":5}',
      'stock {"item":"pear","level":3}',
      'stock {"item":"apple","level":1}',
      'stock {"item":"pear","level":2}',
      'reorder {"item":"apple","delta":10}',
      'stock {"item":"apple","level":11}',
      "running low: apple (1)",
      "running low: pear (2)",
      'stock {"item":"pear","level":0}',
      'reorder {"item":"pear","delta":10}',
      'stock {"item":"pear","level":10}',
      "sold out: pear",
      "",
    ]);
    expect(r.stderr).toMatch(SUMMARY);
  });

  test("word-count prints the top 20 lines of the example and the summary", async () => {
    const r = await portals("run", "examples/word-count/app.ts");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(runExample(wordCount, 0).lines.join("\n") + "\n");
    expect(r.stdout.split("\n")[0]).toBe("the 14427");
    expect(r.stderr).toMatch(/^(progress: .*\n)*done: 420 steps, 280 atoms, \d+ events, \d+\.\d{3} s, \d+ events\/s\n$/);
  });

  test("--max-steps stops the run early and says so", async () => {
    const r = await portals("run", "examples/feedback-loop/app.ts", "--max-steps", "3");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("6: 6 -> 3\n7: 7 -> 22\n");
    expect(r.stderr).toMatch(/^stopped at --max-steps 3 \(not complete\): 3 steps, 1 atoms, 2 events, \d+\.\d{3} s, \d+ events\/s\n$/);
  });

  test("an async source (fromAsyncIterable) is awaited", async () => {
    const r = await portals("run", "test/runtime/cli/fixtures/async-source.ts");
    expect(r).toMatchObject({ code: 0, stdout: "tick 1\ntick 2\n|\ntick 3\n|\n" });
    expect(r.stderr).toMatch(SUMMARY);
  });

  test("an operator error is reported on stderr in order with stdout, the run goes on, exit 1", async () => {
    const r = await portals("run", "test/runtime/cli/fixtures/failing-operator.ts");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("1\n3\n");
    const lines = r.stderr.split("\n");
    expect(lines[0]).toBe("[error] workflow /failing/workflows/w, task picky, key 0: two is not allowed");
    // Where it was thrown, in the user's file (the frames of portals-ts are left out).
    expect(lines[1]).toBe("    at test/runtime/cli/fixtures/failing-operator.ts:10:26");
    expect(lines[2]).toMatch(/^done: 6 steps, 3 atoms, 3 events, \d+\.\d{3} s, \d+ events\/s, 1 error$/);
    expect(lines).toHaveLength(4);
  });

  test("an application that cannot be launched: one line naming the problem, exit 1", async () => {
    const r = await portals("run", "test/runtime/cli/fixtures/needs-registry.ts");
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "portals: error: application /lonely: /lonely/workflows/w needs stream /elsewhere/workflows/w/stream, which no launched application defines; launch the application that defines it first (launched: none)\n",
    });
  });
});

describe.concurrent("portals plan --expanded", () => {
  test("prints app.explain() of each application", async () => {
    expect(await portals("plan", "--expanded", "examples/hello-world/app.ts")).toEqual({
      code: 0,
      stdout: helloWorld.explain() + "\n",
      stderr: "",
    });
    expect(await portals("plan", "examples/registry/app.ts", "--expanded")).toEqual({
      code: 0,
      stdout: registry.map((a) => a.explain()).join("\n") + "\n",
      stderr: "",
    });
  });

  test("the plan of hello-world, line by line", async () => {
    const r = await portals("plan", "--expanded", "examples/hello-world/app.ts");
    expect(r.stdout).toBe(
      [
        "application /hello-world",
        "  generator /hello-world/generators/greeting (atoms) -> /hello-world/generators/greeting/stream",
        "  workflow /hello-world/workflows/hello <- /hello-world/generators/greeting/stream -> /hello-world/workflows/hello/stream",
        "    task logger#1 <- source -> sink",
        "",
      ].join("\n"),
    );
    // Sanity: the same application built here has the same plan.
    const again = PortalsApp("hello-world", (app) => {
      const g = app.generators.signal("Hello, World!", { name: "greeting" });
      app.workflows<string, string>("hello").source(g.stream).logger().sink().freeze();
    });
    expect(r.stdout).toBe(again.explain() + "\n");
  });
});

const fix = "end the module with `export default PortalsApp(name, (app) => { ... })` or an array of applications";

describe.concurrent("usage errors: one line on stderr, nothing on stdout, exit 2", () => {
  // Outside test/: the project's type check must not see it.
  beforeAll(() => {
    mkdirSync(join(root, ".cache/cli"), { recursive: true });
    writeFileSync(join(root, ".cache/cli/syntax-error.ts"), 'import { PortalsApp } from "portals-ts";\nconst = PortalsApp;\n');
  });

  const cases: [string, string[], string][] = [
    ["no command", [], "portals: error: missing command: use `portals run <module>`, `portals plan <module>` or `portals init <dir>` (see portals --help)"],
    ["unknown command", ["go", "x.ts"], "portals: error: unknown command 'go' (see portals --help)"],
    ["missing module", ["run"], "portals: error: missing required argument 'module'"],
    ["missing module (plan)", ["plan"], "portals: error: missing required argument 'module'"],
    ["unknown option", ["run", "examples/hello-world/app.ts", "--fast"], "portals: error: unknown option '--fast'"],
    ["misspelt option", ["run", "examples/hello-world/app.ts", "--sed", "1"], "portals: error: unknown option '--sed' (Did you mean --seed?)"],
    ["seed not an integer", ["run", "examples/hello-world/app.ts", "--seed", "x"], "portals: error: option '--seed <n>' argument 'x' is invalid. expected an integer."],
    [
      "seed too large to be exact",
      ["run", "examples/hello-world/app.ts", "--seed", "99999999999999999999"],
      "portals: error: option '--seed <n>' argument '99999999999999999999' is invalid. expected an integer of at most 9007199254740991.",
    ],
    ["negative --max-steps", ["run", "examples/hello-world/app.ts", "--max-steps", "-1"], "portals: error: option '--max-steps <n>' argument '-1' is invalid. expected a non-negative integer."],
    ["two modules", ["run", "a.ts", "b.ts"], "portals: error: too many arguments for 'run'. Expected 1 argument but got 2."],
    ["module does not exist", ["run", "examples/nope/app.ts"], `portals: error: module examples/nope/app.ts does not exist (looked for ${root}examples/nope/app.ts)`],
    ["plan of a module that does not exist", ["plan", "nope.js"], `portals: error: module nope.js does not exist (looked for ${root}nope.js)`],
    ["no default export", ["run", "test/runtime/cli/fixtures/no-default.ts"], `portals: error: module test/runtime/cli/fixtures/no-default.ts has no default export; ${fix}`],
    [
      "default export not an application",
      ["run", "test/runtime/cli/fixtures/not-an-app.ts"],
      `portals: error: module test/runtime/cli/fixtures/not-an-app.ts: the default export is an object (Object), not an application; ${fix}`,
    ],
    [
      "module with a syntax error",
      ["run", ".cache/cli/syntax-error.ts"],
      `portals: error: module .cache/cli/syntax-error.ts does not compile: ${root}.cache/cli/syntax-error.ts:2:7 - Variable declaration expected.`,
    ],
    ["empty array", ["plan", "test/runtime/cli/fixtures/empty-array.ts"], `portals: error: module test/runtime/cli/fixtures/empty-array.ts default-exports an empty array; ${fix}`],
  ];
  for (const [name, args, line] of cases) {
    test(name, async () => {
      expect(await portals(...args)).toEqual({ code: 2, stdout: "", stderr: line + "\n" });
    });
  }
});

test("--version prints the package's version and exits 0", async () => {
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  expect(await portals("--version")).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
});

test("--help prints the usage on stdout and exits 0", async () => {
  const r = await portals("--help");
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^Usage: portals \[options\] \[command\]\n/);
  expect(r.stdout).toMatch(/\n {2}run \[options\] <module> /);
  expect(r.stdout).toMatch(/\n {2}plan \[options\] <module> /);
  expect(r.stdout).toMatch(/\n {2}init <dir> /);
  expect(r.stderr).toBe("");
});

test("run --help says what the seed changes and how many snapshots are kept", async () => {
  const r = await portals("run", "--help");
  expect(r.code).toBe(0);
  const help = r.stdout.replace(/\s+/g, " ");
  expect(help).toContain(
    "--seed <n> seed of the scheduler's choice among components ready at the same time (an integer); it changes the output only where independent work interleaves, e.g. a sequencer merging several inputs, and a restored run keeps its snapshot's (default: 0)",
  );
  expect(help).toContain(
    "--snapshot-dir <dir> take snapshots into this directory (created if missing), a full one every 10 and deltas in between; the newest 2 chains (a full snapshot and its deltas) are kept, at most 20 snapshots; sink output is committed with them",
  );
});
