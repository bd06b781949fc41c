/**
 * Error subclasses of compiled modules as data classes (docs/snapshots.md, "Data"). A frame may
 * hold a caught error across a suspension, and the compiler cannot see its class; an error class
 * declared at the top level of a compiled module is listed by its machines
 * ({@link Machine.errorClasses}), and a system registers it with its codec under the id
 * `<module path>#<class name>`, so a restored instance is one of that class with the same own
 * properties (message, stack, cause, and every enumerable one such as `code` or an own `name`).
 */
import type { DataClass } from "./data.js";
import { reachableMachines, type Machine } from "./machine.js";

type ErrorClass = abstract new (...args: any[]) => Error;

/** What an instance is stored as. */
interface ErrorData {
  readonly message: string;
  readonly stack: string | undefined;
  readonly cause?: unknown;
  readonly props: Record<string, unknown>;
}

/** Own properties kept apart, as the Error constructor makes them (not enumerable). */
const HIDDEN = ["message", "stack", "cause"] as const;

/** The data class of `type`, named `name`. */
export function errorDataClass(name: string, type: ErrorClass): DataClass<Error> {
  return {
    name,
    type,
    encode(error: Error): ErrorData {
      const props: Record<string, unknown> = {};
      for (const key of Object.keys(error)) if (!(HIDDEN as readonly string[]).includes(key)) props[key] = (error as unknown as Record<string, unknown>)[key];
      return { message: error.message, stack: error.stack, ...(Object.hasOwn(error, "cause") ? { cause: error.cause } : {}), props };
    },
    decode(data: ErrorData): Error {
      const error = Object.create(type.prototype as object) as Error;
      const hidden = (key: string, value: unknown) => Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable: false });
      hidden("message", data.message);
      if (data.stack !== undefined) hidden("stack", data.stack);
      if (Object.hasOwn(data, "cause")) hidden("cause", data.cause);
      for (const [key, value] of Object.entries(data.props)) Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable: true });
      return error;
    },
  };
}

/**
 * The data classes of the error classes that `roots` and the helpers they call list, one per
 * class: the id is the machine's module path (its id up to `#`) and the class name. Classes
 * that do not extend `Error`, and lists that throw (a class not initialised yet), are skipped.
 */
export function compiledErrorClasses(roots: Iterable<Machine>): DataClass<Error>[] {
  const byType = new Map<ErrorClass, DataClass<Error>>();
  for (const machine of reachableMachines(roots).values()) {
    let listed: readonly unknown[] = [];
    try {
      listed = machine.errorClasses?.() ?? [];
    } catch {
      // A class referenced before its module finished loading cannot be listed yet.
    }
    const cut = machine.id.lastIndexOf("#");
    const module = cut < 0 ? machine.id : machine.id.slice(0, cut);
    for (const type of listed) {
      if (typeof type !== "function" || !((type as ErrorClass).prototype instanceof Error) || byType.has(type as ErrorClass)) continue;
      byType.set(type as ErrorClass, errorDataClass(`${module}#${type.name}`, type as ErrorClass));
    }
  }
  return [...byType.values()];
}
