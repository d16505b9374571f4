// SSO through the real OpenID Provider's login page: the browser never sees a token.
import { expect, test } from "@playwright/test";
import { mkdirSync } from "node:fs";

const artifacts = process.env.E2E_ARTIFACTS ?? "artifacts";

test("a user signs in with SSO, lands on the user page, and signs out at the provider too", async ({ page }) => {
  test.skip(!process.env.E2E_OIDC, "runs when scripts/test.sh provides the OpenID Provider");
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  mkdirSync(artifacts, { recursive: true });

  await page.goto("/app/login");
  await page.click("#sso-login");

  // The provider's own login page.
  await expect(page.locator("#username")).toBeVisible();
  await page.fill("#username", "alice");
  await page.fill("#password", "password");
  await page.screenshot({ path: `${artifacts}/sso-provider-login.png`, fullPage: true });
  await page.click("#login");

  // Back at GHARTS with a session; alice's verified email bound her to the bootstrap admin.
  await expect(page).toHaveURL(/\/app\/$/);
  await expect(page.locator("#role-badge")).toHaveText("Admin");
  await expect(page.locator("h1")).toHaveText("Dashboard");
  await page.screenshot({ path: `${artifacts}/sso-user-page.png`, fullPage: true });

  // No token is reachable from the page's JavaScript: only the HttpOnly session cookie exists.
  expect(await page.evaluate(() => document.cookie)).toBe("");

  // Sign out: GHARTS ends its session and sends the browser to the provider's logout.
  await page.click("#logout");
  await expect(page).toHaveURL(/\/session\/end/);
  await page.click("#logout"); // the provider's "Yes, sign me out"
  await expect(page).toHaveURL(/\/app\/login(\?next=%2Fapp%2F)?$/);
  await page.goto("/app/");
  await expect(page).toHaveURL(/\/app\/login(\?next=%2Fapp%2F)?$/);

  expect(pageErrors).toEqual([]);
});
