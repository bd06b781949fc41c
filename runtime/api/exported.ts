/**
 * What a module that `portals run`, `portals plan` and `portals serve` take exports: one
 * {@link Application} or an array of them as its default export, launched in that order.
 */
import { Application } from "./application.js";

/** How such a module ends, for messages. */
export const EXPORT_FIX = "end the module with `export default PortalsApp(name, (app) => { ... })` or an array of applications";

/**
 * The applications of a module's default export `exported` (from its namespace object), in order.
 *
 * @param module how to name the module in messages, a noun phrase (`module app.ts`)
 * @throws TypeError naming the module when there is no default export, an empty array, or
 *   something else than an application (also one built with another copy of portals-ts)
 */
export function exportedApplications(exported: unknown, module: string): Application[] {
  const value = fromCommonJs(exported);
  if (value === undefined) throw new TypeError(`${module} has no default export; ${EXPORT_FIX}`);
  const apps: unknown[] = Array.isArray(value) ? value : [value];
  if (apps.length === 0) throw new TypeError(`${module} default-exports an empty array; ${EXPORT_FIX}`);
  apps.forEach((app, i) => {
    if (!(app instanceof Application)) {
      const where = Array.isArray(value) ? `element ${i} of the default export` : "the default export";
      throw new TypeError(`${module}: ${where} is ${what(app)}, not an application; ${EXPORT_FIX}`);
    }
  });
  return apps as Application[];
}

/**
 * A CommonJS module's default export as an ES module sees it is `module.exports`; TypeScript's
 * CommonJS output puts `export default x` in `module.exports.default`. So an object that is no
 * application but has one (or an array) in `default` stands for that.
 */
function fromCommonJs(exported: unknown): unknown {
  if (exported === null || typeof exported !== "object" || exported instanceof Application || Array.isArray(exported)) return exported;
  const inner = (exported as { default?: unknown }).default;
  return inner instanceof Application || (Array.isArray(inner) && inner.length > 0 && inner.every((a) => a instanceof Application)) ? inner : exported;
}

/** A short description of a value for error messages. */
function what(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return `a function (${value.name || "anonymous"}); call it and export its result`;
  if (typeof value === "object" && value.constructor?.name === "Application") {
    return "an application built with another copy of portals-ts (import PortalsApp from the portals-ts the CLI belongs to)";
  }
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "no prototype"})`;
  return `a ${typeof value} (${String(value)})`;
}
