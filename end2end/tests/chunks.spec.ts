// A page's code is a lazy WASM chunk; a chunk that fails to download (a dropped connection, a
// proxy restarting) must not take the console down: the page says so, everything else keeps
// working, and the next try fetches the chunk again.
import { expect, test } from "@playwright/test";
import { check, signInAsAdmin } from "./helpers";

test("a page whose code fails to download says so and the console keeps working", async ({ page }) => {
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  const fail = (chunk: string) => page.route(`**/pkg/split_${chunk}_page*.wasm`, (route) => route.abort("connectionreset"));

  // Signed out, /app/ matches the dashboard (its chunk is preloaded while the session loads): a
  // failed preload still leads to the login page (it used to abort the whole WASM module).
  await fail("dashboard");
  await page.goto("/app/");
  await expect(page).toHaveURL(/\/app\/login(\?next=%2Fapp%2F)?$/);
  await expect(page.locator("#username")).toBeVisible();

  // Signed in, the dashboard's chunk still fails: the page says so in its place, the shell stays.
  await signInAsAdmin(page);
  await expect(page.locator("#chunk-failed")).toContainText("could not be downloaded");
  await expect(page.locator("#user-name")).toHaveText("admin");
  await check(page, "chunk-failed");

  // Another page loads, and once the network is back the failed page loads without a reload.
  await page.click("nav a[href='/app/runners']");
  await expect(page.locator("h1")).toHaveText("Runners");
  await page.unroute("**/pkg/split_dashboard_page*.wasm");
  await page.click("nav a[href='/app/']");
  await expect(page.locator("h1")).toHaveText("Dashboard");
  await expect(page.locator("#chunk-failed")).toHaveCount(0);

  // "Try again" reloads the page, which then loads.
  await fail("security");
  await page.goto("/app/admin/security");
  await expect(page.locator("#chunk-failed")).toBeVisible();
  await page.unroute("**/pkg/split_security_page*.wasm");
  await page.click("#chunk-failed button");
  await expect(page.locator("h1")).toHaveText("Security events");
  await expect(page.locator("#chunk-failed")).toHaveCount(0);

  expect(pageErrors).toEqual([]);
});
