import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser.ts";
import { CliProcess } from "../support/cli-process.ts";

const REGISTRY = `
regions: [ { id: shangrao, name: 上饶市 } ]
plants:
  - id: sr-01
    name: 上饶示例防护用品有限公司
    region: shangrao
    lines:
      - { id: l1, name: 1号平面口罩线, type: flat, ratedPerMin: 600 }
      - { id: l2, name: 2号KN95线, type: kn95, ratedPerMin: 300 }
`;
const TOKEN = "dash-token";
let dir: string;
let gateway: CliProcess;
let sim: CliProcess;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "masktally-dash-"));
  await writeFile(join(dir, "registry.yaml"), REGISTRY);
  gateway = new CliProcess([
    "gateway",
    "--registry",
    join(dir, "registry.yaml"),
    "--mqtt-port",
    "0",
    "--http-port",
    "0",
    "--data-dir",
    join(dir, "data"),
    "--allow-anonymous",
    "--admin-token",
    TOKEN,
  ]);
  const ready = await gateway.waitForLog((l) => l.msg === "gateway ready", 60_000);
  base = `http://127.0.0.1:${ready.httpPort}`;
  sim = new CliProcess([
    "sim",
    "--registry",
    join(dir, "registry.yaml"),
    "--broker",
    `mqtt://127.0.0.1:${ready.mqttPort}`,
  ]);
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.dispose();
  await sim?.stop("SIGKILL");
  await gateway?.stop("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

const goodOf = async (page: import("playwright-core").Page, line: string) =>
  Number(((await page.locator(`tr[data-line="${line}"] td.good`).textContent()) ?? "").replace(/[^\d]/g, ""));

describe("dashboard in headless Chromium", () => {
  it("signs in with ?token=, drops it from the address bar, lists the lines in Chinese and counts up live", async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/?token=${TOKEN}`);
    await page.waitForSelector('tr[data-line="sr-01/l1"]');
    expect(new URL(page.url()).search).toBe("");
    expect(await page.locator("h1").textContent()).toBe("口罩日产量");
    expect(await page.locator("tbody tr").count()).toBe(2);
    expect(await page.locator('tr[data-line="sr-01/l2"] td').nth(1).textContent()).toBe("2号KN95线");

    // Live: the count on the page grows without a reload (SSE).
    await page.waitForFunction(
      () =>
        Number(
          document.querySelector('tr[data-line="sr-01/l1"] td.good')?.textContent?.replace(/[^\d]/g, ""),
        ) > 0,
      undefined,
      { timeout: 20_000 },
    );
    const first = await goodOf(page, "sr-01/l1");
    await page.waitForFunction(
      (n) =>
        Number(
          document.querySelector('tr[data-line="sr-01/l1"] td.good')?.textContent?.replace(/[^\d]/g, ""),
        ) > n,
      first,
      { timeout: 20_000 },
    );
    expect(await goodOf(page, "sr-01/l1")).toBeGreaterThan(first);
    expect(await page.locator("#conn").getAttribute("data-state")).toBe("live");
    await mkdir("test-results/screenshots", { recursive: true });
    await page.screenshot({ path: "test-results/screenshots/plant-zh.png", fullPage: true });

    await page.click("#lang");
    expect(await page.locator("h1").textContent()).toBe("Mask output today");
    await page.setViewportSize({ width: 360, height: 740 });
    await page.screenshot({ path: "test-results/screenshots/plant-en-phone.png", fullPage: true });
    await page.close();
  }, 60_000);

  it("shows a sign-in message instead of data without a token", async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    await page.evaluate(() => localStorage.clear()); // the first test signed this profile in
    await page.reload();
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.locator("#error").textContent()).toContain("需要登录");
    expect(await page.locator("tbody tr").count()).toBe(0);
    await page.close();
  });
});
