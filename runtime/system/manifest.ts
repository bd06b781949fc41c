/**
 * The manifest of a snapshot: the code it was taken with, which a restore compares with the
 * code it is given, so a continuation never resumes in code that changed under it.
 */
import { showPartition } from "../core/partition.js";
import { allSpecs, operatorMachines } from "../core/spec.js";
import type { Plan } from "../graph/plan.js";
import { SNAPSHOT_FORMAT, SnapshotError } from "../state/snapshot-format.js";
import type { Manifest } from "./snapshot.js";

/**
 * The manifest of running `plans`: their paths, the code version of each compiled operator, and
 * the initial state of each `vsm` task (states are code too, found again by name on restore).
 */
export function manifestOf(plans: readonly Plan[]): Manifest {
  const operators: Record<string, string[]> = {};
  const vsm: Record<string, string> = {};
  for (const plan of plans) {
    for (const w of plan.workflows) {
      for (const t of w.tasks) {
        const task = `${w.path}/${t.name}`;
        const machines = [...operatorMachines(t.spec).values()].map((m) => `${m.id}@${m.version}`);
        if (machines.length > 0) operators[task] = machines;
        for (const s of allSpecs(t.spec)) if (s.kind === "vsm") vsm[task] = s.initial.name;
      }
    }
  }
  const partitions: Record<string, string> = {};
  for (const plan of plans) if (plan.partition !== undefined) partitions[plan.app] = showPartition(plan.partition);
  return { format: SNAPSHOT_FORMAT, apps: plans.map((p) => p.app), operators, vsm, ...(Object.keys(partitions).length > 0 ? { partitions } : {}) };
}

/**
 * Checks that `plans` are those of the snapshot, in launch order, with the same operator code
 * (but for the tasks in `upgraded`, `<workflow path>/<task name>`, whose code an upgrade changes).
 *
 * @throws SnapshotError naming the missing or extra application, or the operator that changed
 */
export function checkManifest(saved: Manifest, plans: readonly Plan[], upgraded: ReadonlySet<string> = new Set()): void {
  const given = plans.map((p) => p.app);
  for (const path of saved.apps) {
    if (!given.includes(path)) {
      throw new SnapshotError(`the snapshot needs application ${path}; it was taken of the applications ${saved.apps.join(", ")}, in this launch order: restore it with those`);
    }
  }
  for (const path of given) {
    if (!saved.apps.includes(path)) throw new SnapshotError(`application ${path} is not in the snapshot (it has ${saved.apps.join(", ")})`);
  }
  if (given.join() !== saved.apps.join()) {
    throw new SnapshotError(`the snapshot was taken of the applications ${saved.apps.join(", ")}, in this launch order: restore it with those, in that order`);
  }
  const now = manifestOf(plans);
  for (const path of given) {
    const [then, current] = [saved.partitions?.[path], now.partitions?.[path]];
    if (then !== current) {
      // A key's state is in the snapshot of the partition its hash names: another partition, or count, would lose it.
      throw new SnapshotError(
        `application ${path} was ${then === undefined ? "not partitioned" : `partition ${then}`} in the snapshot and is ${current === undefined ? "not partitioned" : `partition ${current}`} now; ` +
          "restore each partition's snapshot into the same partition of the same count (docs/cluster.md, \"Partitioned applications\")",
      );
    }
  }
  for (const [operator, machines] of Object.entries(saved.operators)) {
    if (upgraded.has(operator)) continue;
    const current = now.operators[operator] ?? [];
    if (current.join() !== machines.join()) {
      throw new SnapshotError(
        `operator ${operator} changed since the snapshot (${machines.join(", ")} then, ${current.join(", ") || "no compiled callback"} now); ` +
          "restore with the code that took the snapshot, or start the applications afresh",
      );
    }
  }
  for (const [task, initial] of Object.entries(saved.vsm)) {
    if (!upgraded.has(task) && now.vsm[task] !== initial) {
      throw new SnapshotError(
        `vsm task ${task} changed since the snapshot (initial state ${initial} then, ${now.vsm[task] ?? "no vsm task"} now); ` +
          "name its states with VSM.processor(onNext, { name }) to keep them across edits, restore with the code that took the snapshot, or start afresh",
      );
    }
  }
}
