/**
 * A real Chromium for tests, driven by Playwright (`playwright-core`, no bundled browsers):
 * Debian's `/usr/bin/chromium` (`scripts/chromium.sh` installs it; `.ci/run` runs that), headless,
 * with a fresh profile directory removed by `close()`. `PORTALS_CHROMIUM` names another binary.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** A launched browser; `close()` ends it and removes its profile. */
export interface TestBrowser {
  /** The browser's one context (its profile): open pages with `context.newPage()`. */
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Where the browser is. */
export const CHROMIUM = process.env.PORTALS_CHROMIUM ?? "/usr/bin/chromium";

/** Launches Chromium headless with a fresh profile (within 30 s). */
export async function launchChromium(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "portals-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
