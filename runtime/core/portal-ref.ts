/**
 * The value behind every portal ref (`app.portal(…)`, the registry, `testPortal`). A ref is
 * data (docs/snapshots.md, "What is data"): a suspended helper that took a portal as an argument
 * keeps it in its frame, so a snapshot stores the ref by its path and a restore makes it again,
 * with the portal's key function when the restoring system's applications define one.
 */
import type { Key } from "./key.js";

/** A portal ref: its path, its routing key function if any, and `request` (see `api/refs.ts`). */
export class PortalRefValue {
  /** What the ref refers to. */
  readonly kind = "portal" as const;
  /** Routing key function (absent when the portal has none or this ref was looked up by path). */
  declare readonly key?: (request: never) => Key;

  constructor(
    /** Path of the portal, e.g. `/shop/portals/inventory`. */
    readonly path: string,
    key?: (request: never) => Key,
  ) {
    // Only when there is one, so a ref without a key has no `key` property at all.
    if (key !== undefined) Object.defineProperty(this, "key", { value: key, enumerable: true });
  }

  /**
   * Compiled code sends requests through the task context (`request` of portals-ts/machine) and
   * never calls this: only code the compiler did not see gets here.
   *
   * @throws Error always, naming the portal and the fix
   */
  request(_request?: unknown): never {
    throw new Error(
      `${this.path}.request() was called by code that was not compiled. Portal requests can only be made in async asker ` +
        "or asker-replier operators compiled by tspc (the portals-ts/compiler plugin), the portals-ts/vite plugin or portals-ts/register.",
    );
  }
}
