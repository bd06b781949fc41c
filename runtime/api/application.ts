/**
 * A built application: its logical model, its plan (the model with portals expanded), and the
 * data classes it registered. Launch it into a system with `system.launch(app)`.
 */
import type { DataClass } from "../core/data.js";
import { expandPortals } from "../graph/expand.js";
import { explain } from "../graph/explain.js";
import type { AppModel } from "../graph/model.js";
import type { Plan } from "../graph/plan.js";

/** A built, validated application: launch it into a system with `system.launch(app)`. */
export class Application {
  /** @internal The expanded graph the engine runs (no portal nodes). */
  readonly plan: Plan;

  /** @internal use `PortalsApp` or `ApplicationBuilder.build` */
  constructor(
    /** @internal The application as its builders recorded it. */
    readonly model: AppModel,
    /** The classes whose instances its state may hold besides plain data (`app.dataClass`). */
    readonly dataClasses: readonly DataClass<object>[] = [],
  ) {
    this.plan = expandPortals(model);
  }

  /** Name of the application. */
  get name(): string {
    return this.model.name;
  }

  /** Path of the application, `/<name>`. */
  get path(): string {
    return this.model.path;
  }

  /** The expanded graph as text: one line per component, internal ones marked (see `portals plan`). */
  explain(): string {
    return explain(this.plan);
  }
}
