/**
 * The state viewer's message when a run's snapshot cannot be taken, apart from the viewer (it
 * imports no part of the runtime, so a test under Node can use it before the build).
 */

/**
 * The state viewer's message for what `snapshot()` threw: for state that is not data, which
 * class, where, and how to register it (the codec's `EncodeError`, `runtime/state/codec.ts`).
 */
export function inspectError(thrown: unknown): string {
  const { name, path, found, message } = (thrown ?? {}) as { name?: unknown; path?: unknown; found?: unknown; message?: unknown };
  if (name !== "EncodeError" || typeof path !== "string" || typeof found !== "string") return `the state viewer cannot take a snapshot of this run: ${typeof message === "string" ? message : String(thrown)}`;
  const where = path.replace(/^snapshot\./, "");
  const cls = /^an instance of class (\S+)/.exec(found)?.[1];
  if (cls === undefined) return `the state viewer cannot take a snapshot of this run: the state holds ${found} at ${where}, which cannot be stored (docs/snapshots.md: only data)`;
  return (
    `the state viewer cannot take a snapshot of this run: the state holds an instance of class ${cls} at ${where}, which is not registered; ` +
    `register it in the application: app.dataClass({ name: "${cls}", type: ${cls}, encode: (v) => …, decode: (d) => new ${cls}(…) }) (docs/snapshots.md)`
  );
}
