// What the browser specs share: the admin's password and the artefacts directory from the
// harness (scripts/e2e.sh), the accessibility check with screenshots, and the local sign-in.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";

export const password = process.env.E2E_ADMIN_PASSWORD ?? "";
export const artifacts = process.env.E2E_ARTIFACTS ?? "artifacts";
/** The header the API's CSRF rule asks of cookie-authenticated writes. */
export const headers = { "X-Requested-With": "gharts" };

/** axe (WCAG 2 A/AA) without critical or serious violations, then `<prefix>-<name>-<width>.png` at 1280 and 375 px. */
export async function check(page: Page, name: string, prefix = "console") {
  mkdirSync(artifacts, { recursive: true });
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21aa"]).analyze();
  const bad = results.violations.filter((v) => v.impact === "critical" || v.impact === "serious");
  expect(bad.map((v) => `${name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${artifacts}/${prefix}-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** Signs in as the bootstrap admin with the local login form. */
export async function signInAsAdmin(page: Page) {
  expect(password, "E2E_ADMIN_PASSWORD must be set").not.toBe("");
  await page.goto("/app/login");
  await page.fill("#username", "admin");
  await page.fill("#password", password);
  await page.click("#login");
  await expect(page.locator("#role-badge")).toHaveText("Admin");
}
