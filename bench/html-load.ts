import { pathToFileURL } from "node:url";
import { launchChromium } from "../gates/test/report/chromium.js";

/** What a page load cost in headless Chromium. */
export interface PageLoad {
  /** The navigation's loadEventEnd: parsing, layout and the inline script, as the browser counts it. */
  loadMs: number;
  /** Finding rows the page shows. */
  rows: number;
}

/**
 * Opens each file in a fresh page of one headless Chromium and returns its load figures, in order.
 * Undefined when Chromium cannot start (the caller says so instead of inventing a figure).
 */
export async function measurePageLoads(files: readonly string[]): Promise<PageLoad[] | undefined> {
  const browser = await launchChromium().catch(() => undefined);
  if (browser === undefined) return undefined;
  try {
    const loads: PageLoad[] = [];
    for (const file of files) {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(file).href, { waitUntil: "load", timeout: 120_000 });
      const loadMs = Number(await page.evaluate('performance.getEntriesByType("navigation")[0]?.loadEventEnd ?? -1'));
      const rows = await page.locator("#findings tbody[data-s] tr:not(.h)").count();
      loads.push({ loadMs, rows });
      await page.close();
    }
    return loads;
  } finally {
    await browser.close();
  }
}
