import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

/** Where the tests leave their screenshots (git-ignored; CI keeps them as artifacts). */
export const artifactsDir = join(dirname(fileURLToPath(import.meta.url)), "artifacts");

/**
 * Debian's chromium, headless, driven by playwright-core (no browser download: `.ci/run` installs the package).
 *
 * @example
 * const browser = await launchChromium();
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.DECAI_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
}

/**
 * Saves a full-page screenshot as `test/artifacts/<name>.png`.
 *
 * @example
 * await screenshot(page, "network");
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
}

/**
 * Whether the page is wider than its viewport (something forces horizontal scrolling).
 *
 * @example
 * expect(await overflowsHorizontally(page)).toBe(false);
 */
export function overflowsHorizontally(page: Page): Promise<boolean> {
  // A string: it runs in the page, whose globals the Node typings do not know.
  return page.evaluate<boolean>("document.documentElement.scrollWidth > window.innerWidth");
}

/**
 * The number shown in a `data-testid` element (separators dropped), or NaN.
 *
 * @example
 * await numberIn(page, "stat-claims-settled"); // 1
 */
export async function numberIn(page: Page, testId: string): Promise<number> {
  const text = (await page.getByTestId(testId).textContent()) ?? "";
  return Number(text.replace(/[^\d.]/g, ""));
}
