/**
 * Driving the playground page in a test (docs/playground.md, "Tests"): its log, its editor, and
 * runs started by a control and waited for through `#status`'s `data-run` and `data-state`.
 */
import type { Page } from "playwright-core";

/** The controls of the page that `page()` returns (read at each call: tests open it in `beforeAll`). */
export interface PlaygroundControls {
  /** The log panel's lines, empty ones left out. */
  logLines(): Promise<string[]>;
  /** Replaces the editor's text (`window.playground.setText`). */
  setCode(text: string): Promise<void>;
  /** Clicks `button` (Run, or Step without a paused run), which starts a new run; resolves with its state once it no longer runs. */
  start(button?: "run" | "step"): Promise<string>;
  /** Waits until run `run` (or a later one) no longer runs (within 60 s); resolves with its state. */
  settled(run: number): Promise<string>;
}

/** See {@link PlaygroundControls}. */
export function playgroundControls(page: () => Page): PlaygroundControls {
  const settled = async (run: number): Promise<string> => {
    await page().waitForFunction(
      (r) => {
        const status = document.getElementById("status")!;
        return Number(status.dataset.run) >= r && ["done", "failed", "stopped", "paused"].includes(status.dataset.state ?? "");
      },
      run,
      { timeout: 60_000 },
    );
    return (await page().getAttribute("[data-testid=status]", "data-state"))!;
  };
  return {
    logLines: async () => ((await page().textContent("[data-testid=log]")) ?? "").split("\n").filter((l) => l !== ""),
    setCode: async (text) => {
      await page().evaluate((t) => (window as unknown as { playground: { setText(t: string): void } }).playground.setText(t), text);
    },
    start: async (button = "run") => {
      const before = Number(await page().getAttribute("[data-testid=status]", "data-run"));
      await page().click(`[data-testid=${button}]`);
      return settled(before + 1);
    },
    settled,
  };
}
