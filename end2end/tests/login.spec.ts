// The first UI proof: UI → server function → database → session, in a real browser.
import { expect, test } from "@playwright/test";
import { mkdirSync } from "node:fs";

const password = process.env.E2E_ADMIN_PASSWORD ?? "";
const artifacts = process.env.E2E_ARTIFACTS ?? "artifacts";

test("the bootstrap admin logs in, sees who they are, and logs out", async ({ page }) => {
  expect(password, "E2E_ADMIN_PASSWORD must be set").not.toBe("");
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  mkdirSync(artifacts, { recursive: true });

  // Signed out, the console sends us to the login page.
  await page.goto("/app/");
  await expect(page).toHaveURL(/\/app\/login(\?next=%2Fapp%2F)?$/);
  await expect(page.locator("h1")).toHaveText("GHARTS");
  // "Sign in with SSO" appears exactly when OIDC is configured.
  await expect(page.locator("#sso-login")).toHaveCount(process.env.E2E_OIDC ? 1 : 0);

  // A wrong password is refused with a message, and no session appears.
  await page.fill("#username", "admin");
  await page.fill("#password", "not-the-password");
  await page.click("#login");
  await expect(page.locator("#error")).toHaveText("Invalid username or password.");
  await page.screenshot({ path: `${artifacts}/login-error.png`, fullPage: true });

  // The right one lands on the dashboard, the shell filled from the `me` server function.
  await page.fill("#password", password);
  await page.click("#login");
  await expect(page).toHaveURL(/\/app\/$/);
  await expect(page.locator("#user-name")).toHaveText("admin");
  await expect(page.locator("#role-badge")).toHaveText("Admin");
  await expect(page.locator("h1")).toHaveText("Dashboard");
  await page.screenshot({ path: `${artifacts}/user-page.png`, fullPage: true });

  // The session survives a reload (it is a cookie, not page state).
  await page.reload();
  await expect(page.locator("#user-name")).toHaveText("admin");

  // Logout ends it: the console is closed again.
  await page.click("#logout");
  await expect(page).toHaveURL(/\/app\/login(\?next=%2Fapp%2F)?$/);
  await page.goto("/app/");
  await expect(page).toHaveURL(/\/app\/login(\?next=%2Fapp%2F)?$/);

  expect(pageErrors).toEqual([]);
});
