import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtml } from "../../src/report/html.js";
import { launchChromium } from "./chromium.js";
import { k6Series, realisticReport, rolledBackDeploy } from "./html-report-fixture.js";

const ARTIFACTS = fileURLToPath(new URL("../../../test-artifacts/", import.meta.url));
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

function writeArtifact(name: string, html: string): string {
  const file = path.join(ARTIFACTS, name);
  writeFileSync(file, html);
  return file;
}

describe("report.html in a real browser", () => {
  it("shows the verdict and every gate, makes no request, logs no error, and filters", async () => {
    const report = realisticReport(300);
    const file = writeArtifact(
      "report.html",
      renderHtml(report, { series: k6Series(), deploys: [rolledBackDeploy()] }),
    );
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    page.on("request", (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href);

    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
    await expect(page.locator("#verdict").textContent()).resolves.toContain(
      "Blocked by secrets, vulnerabilities, performance",
    );
    for (const verdict of report.verdicts) {
      expect(await page.locator(`#gate-${verdict.gate}`).isVisible()).toBe(true);
      expect(await page.locator(`#gate-${verdict.gate} .st`).textContent()).toBe(verdict.status);
    }
    expect(await page.locator("svg").count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator("text=SLA p95 200 ms").count()).toBe(1);
    expect(await page.evaluate("document.querySelectorAll('script').length")).toBe(1);
    expect(await page.locator("#findings script").count()).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);

    const visibleRows = () => page.locator("#findings tbody[data-s] tr:not(.h):not(.hide)").count();
    const initiallyVisible = await visibleRows();
    expect(initiallyVisible).toBe(report.findings.length);
    await page.uncheck('input[name=st][value="suppressed"]');
    expect(await visibleRows()).toBe(report.findings.filter((f) => f.status !== "suppressed").length);

    await page.fill("#q", "file-42.ts");
    expect(await visibleRows()).toBe(1);
    await page.fill("#q", "");
    await page.uncheck('input[name=sev][value="high"]');
    expect(await visibleRows()).toBe(
      report.findings.filter((f) => f.status !== "suppressed" && f.severity !== "high").length,
    );
    await page.check('input[name=sev][value="high"]');
    await page.selectOption("#gate", "secrets");
    expect(await visibleRows()).toBe(
      report.findings.filter((f) => f.status !== "suppressed" && f.gate === "secrets").length,
    );
    expect(await page.locator('#findings section[data-gate="sast"]').isVisible()).toBe(false);

    await page.selectOption("#gate", "");
    await page.evaluate("window.scrollTo(0, 0)");
    await page.screenshot({ path: path.join(ARTIFACTS, "report.png"), fullPage: false });
    await page.close();
  });

  it("reads without JavaScript: everything visible, the filter bar stays hidden", async () => {
    const file = writeArtifact("report-nojs.html", renderHtml(realisticReport(60)));
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(pathToFileURL(file).href);
    expect(await page.locator("#verdict").isVisible()).toBe(true);
    expect(await page.locator("#filters").isVisible()).toBe(false);
    expect(await page.locator("#findings tbody[data-s] tr:not(.h):visible").count()).toBe(60);
    await context.close();
  });

  it("fits a 420 px phone without sideways scrolling, and the sticky filter bar stays on top of the rows", async () => {
    const report = realisticReport(300);
    const file = writeArtifact(
      "report-narrow.html",
      renderHtml(report, { series: k6Series(), deploys: [rolledBackDeploy()] }),
    );
    const page = await browser.newPage({ viewport: { width: 420, height: 800 } });
    await page.goto(pathToFileURL(file).href);
    const scrollWidth = Number(await page.evaluate("document.documentElement.scrollWidth"));
    const viewportWidth = Number(await page.evaluate("document.documentElement.clientWidth"));
    expect(viewportWidth).toBe(420);
    expect(scrollWidth).toBeLessThanOrEqual(viewportWidth);
    await page.screenshot({ path: path.join(ARTIFACTS, "report-narrow.png"), fullPage: false });

    // Scrolled into the findings: the bar is stuck to the top and is what the pointer hits there.
    await page.evaluate('document.querySelectorAll("#findings tbody tr:not(.h)")[40].scrollIntoView()');
    const bar = await page.locator("#filters").boundingBox();
    if (bar === null) throw new Error("the filter bar is not laid out");
    expect(bar.y).toBeLessThanOrEqual(1);
    const middle = Math.round(bar.y + bar.height / 2);
    const hits: unknown[] = [];
    for (const x of [40, 210, 380]) {
      hits.push(
        await page.evaluate(`document.getElementById("filters").contains(document.elementFromPoint(${x}, ${middle}))`),
      );
    }
    expect(hits).toEqual([true, true, true]);
    await page.screenshot({ path: path.join(ARTIFACTS, "report-narrow-scrolled.png"), fullPage: false });
    await page.close();
  });

  it("keeps each severity count in one piece and leaves a finding's own cell empty when its group heading says it all", async () => {
    const report = realisticReport(300);
    const secrets = report.verdicts.find((verdict) => verdict.gate === "secrets");
    if (secrets === undefined) throw new Error("the fixture has a secrets verdict");
    secrets.evidence.counted = { critical: 1, high: 4, medium: 2, low: 3, info: 0, unknown: 0 };
    const html = renderHtml(report);
    expect(html).not.toMatch(/<td>·<td>/);
    const file = writeArtifact("report-counts.html", html);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(pathToFileURL(file).href);
    const counts = page.locator("#gate-secrets td:nth-child(5) .sev");
    expect(await counts.allTextContents()).toEqual(["1 critical", "4 high", "2 medium", "3 low"]);
    const lines: unknown[] = [];
    for (let index = 0; index < 4; index++) {
      lines.push(
        await page.evaluate(
          `document.querySelectorAll("#gate-secrets td:nth-child(5) .sev")[${index}].getClientRects().length`,
        ),
      );
    }
    expect(lines).toEqual([1, 1, 1, 1]);
    expect(await page.locator("#gate-secrets td:nth-child(5)").innerText()).toMatch(
      /^1 critical, 4 high, 2 medium, 3 low/,
    );
    await page.close();
  });

  it("shows each gate's worst findings up to its cap, says how many more are in report.json, and loads fast", async () => {
    const report = realisticReport(5000);
    const limits = { findingsPerGate: 40, bytesPerGate: 1_000_000, countRows: 5 };
    const html = renderHtml(report, { series: k6Series(), deploys: [rolledBackDeploy()], limits });
    const bytes = Buffer.byteLength(html);
    expect(bytes).toBeLessThan(300_000);
    const file = writeArtifact("report-5000.html", html);
    const page = await browser.newPage();
    const started = Date.now();
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    const loadMs = Date.now() - started;
    const timing = Number(await page.evaluate('performance.getEntriesByType("navigation")[0]?.loadEventEnd ?? -1'));
    const gates = [...new Set(report.findings.map((finding) => finding.gate))];
    for (const gate of gates) {
      const all = report.findings.filter((finding) => finding.gate === gate);
      const section = page.locator(`#findings section[data-gate="${gate}"]`);
      expect(await section.locator("tbody[data-s] tr:not(.h)").count()).toBe(Math.min(all.length, 40));
      expect(await section.locator("h3").textContent()).toBe(`${gate} · ${all.length.toLocaleString("en-US")}`);
      if (all.length > 40) {
        expect(await section.locator(".more").textContent()).toContain(
          `${(all.length - 40).toLocaleString("en-US")} more in report.json`,
        );
      }
      // Counts cover every finding, not only those shown.
      const critical = all.filter((finding) => finding.severity === "critical").length;
      if (critical > 0) expect(await section.locator(".counts").textContent()).toContain(`${critical} critical`);
      expect(await section.locator(".counts-rule tbody tr").count()).toBeLessThanOrEqual(5);
    }
    writeFileSync(
      path.join(ARTIFACTS, "report-5000.metrics.json"),
      `${JSON.stringify({ findings: 5000, bytes, loadEventEndMs: Math.round(timing), wallMs: loadMs }, null, 2)}\n`,
    );
    console.log(
      `report.html with 5000 findings: ${(bytes / 1024).toFixed(0)} KiB, load event at ${timing.toFixed(0)} ms`,
    );
    await page.close();
  });
});
