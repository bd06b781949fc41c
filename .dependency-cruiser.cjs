/**
 * The layers of the runtime and the compiler, as import rules (docs/architecture.md, "Layers").
 * `npm run check:deps` (part of `npm test`) fails on any import that breaks them.
 *
 *   core      leaf: keys, paths, errors, messages, the machine protocol, specs, data policy
 *   graph     application model, validation, portal expansion, plans       (core)
 *   state     codec, snapshot bytes, stores, sinks, per-key state          (core)
 *   api       the builders users write against                             (core, graph)
 *   engine    runs deployed plans; never sees applications                 (core, graph, state)
 *   system    systems, drivers, checkpoint coordinator                     (all of the above)
 *   cluster   a live system's link to other runtimes on NATS JetStream      (core, graph, state, engine, system)
 *   sql       portals-ts/sql: SQL over a dataflow table, on the public API    (core, the package entry)
 *   server    the HTTP server of a live system                             (all of the above)
 *   testing, cli, the entry points                                         (on top)
 *
 * Besides the layers: what runs in browsers (the browser entry of the runtime and what it
 * reaches, and the compiler core) uses no Node built-in; test/architecture/browser.test.ts
 * bundles it for the browser and runs it.
 */
const { builtinModules } = require("node:module");

/** Node's built-in modules, as dependency-cruiser names them (`fs` for `node:fs`). */
const NODE_BUILTINS = `^(node:)?(${builtinModules.join("|")})$`;

/** A rule that files under `from` may import only from their own folder and `allowed` (runtime folders). */
function layer(name, allowed) {
  const folders = [name, ...allowed].join("|");
  return {
    name: `${name}-imports-only-${allowed.length === 0 ? "itself" : allowed.join("-")}`,
    comment: `runtime/${name} may import only runtime/{${[name, ...allowed].join(",")}} (docs/architecture.md, "Layers")`,
    severity: "error",
    from: { path: `^runtime/${name}/` },
    to: { path: "^runtime/", pathNot: `^runtime/(${folders})/` },
  };
}

module.exports = {
  forbidden: [
    layer("core", []),
    layer("graph", ["core"]),
    layer("state", ["core"]),
    layer("api", ["core", "graph"]),
    layer("engine", ["core", "graph", "state"]),
    layer("system", ["core", "graph", "state", "engine", "api"]),
    layer("testing", ["core", "graph", "state", "engine", "api"]),
    layer("cluster", ["core", "graph", "state", "engine", "system"]),
    {
      // Its operators are found by the compiler through builders imported from portals-ts, as in a user's library.
      name: "sql-imports-only-core-and-the-package",
      comment: "runtime/sql is written against the public API: it may import runtime/core and runtime/index.ts (docs/architecture.md, \"Layers\")",
      severity: "error",
      from: { path: "^runtime/sql/" },
      to: { path: "^runtime/", pathNot: "^runtime/(sql|core)/|^runtime/index\\.ts$" },
    },
    layer("server", ["core", "graph", "state", "api", "system", "cluster", "sql"]),
    layer("cli", ["core", "graph", "state", "api", "system", "cluster", "server", "sql"]),
    {
      name: "core-runs-anywhere",
      comment: "runtime/core is shared with the browser and the CommonJS compiler build: no Node built-ins, no packages",
      severity: "error",
      from: { path: "^runtime/core/" },
      to: { dependencyTypes: ["core", "npm", "npm-dev", "npm-optional", "npm-peer", "npm-no-pkg", "npm-unknown"] },
    },
    {
      name: "browser-entry-runs-in-browsers",
      comment:
        "the package's browser entry (runtime/browser.ts, with runtime/machine.ts and runtime/testing/index.ts) reaches no Node built-in: Node-only parts are in the modules only runtime/index.ts reaches (docs/architecture.md, \"Public surface\")",
      severity: "error",
      from: { path: "^runtime/(browser|machine|testing/index)\\.ts$" },
      to: { reachable: true, path: NODE_BUILTINS },
    },
    {
      name: "compiler-core-runs-in-browsers",
      comment: "compiler/core runs in browsers too (a playground compiles there): no Node built-ins; the hosts bring Node's",
      severity: "error",
      from: { path: "^compiler/core/" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "snapshot-codec-runs-anywhere",
      comment: "the snapshot codec and framing run in browsers too, with the bytes Node writes (docs/snapshots.md, \"Codec\"): no Node built-ins",
      severity: "error",
      from: { path: "^runtime/state/(codec|codec-walk|snapshot-format)\\.ts$" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "compiler-stands-alone",
      comment: "the compiler ships as CommonJS without the runtime: of the runtime it may import only the data policy",
      severity: "error",
      from: { path: "^compiler/" },
      to: { path: "^runtime/", pathNot: "^runtime/core/data\\.ts$" },
    },
    {
      name: "runtime-without-compiler",
      comment: "the runtime never imports the compiler (the CLI loads its hook by URL)",
      severity: "error",
      from: { path: "^runtime/" },
      to: { path: "^compiler/" },
    },
    {
      name: "examples-use-the-package",
      comment: "examples are written as users write them: through portals-ts, never the runtime's files",
      severity: "error",
      from: { path: "^examples/" },
      to: { path: "^(runtime|compiler)/", pathNot: "^runtime/(index|machine|sql/index)\\.ts$" },
    },
    {
      name: "no-cycles",
      comment: "modules of the runtime and the compiler form no import cycle",
      severity: "error",
      from: { path: "^(runtime|compiler)/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules|\\.cache)/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
