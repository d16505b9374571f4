// The console as an admin meets it: sign-in returns to the page asked for, every page renders
// (1280 px and 375 px screenshots, axe without critical or serious violations), lazy pages are
// fetched only when opened, and provisioning shows the team's policy as the labels are typed.
import { expect, test } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { artifacts, check, password } from "./helpers";

test("an admin signs in back to the page asked for and uses every console page", async ({ page }) => {
  expect(password, "E2E_ADMIN_PASSWORD must be set").not.toBe("");
  mkdirSync(artifacts, { recursive: true });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  const fetched: string[] = [];
  page.on("request", (r) => fetched.push(new URL(r.url()).pathname));

  // The login page alone never fetches a page's lazy chunk.
  await page.goto("/app/login");
  await expect(page.locator("#username")).toBeVisible();
  await check(page, "login");
  // What scripts/bundle-size.py counts as the first load: no lazy or shared chunk.
  expect(fetched.filter((p) => p.endsWith(".wasm"))).toEqual(["/pkg/gharts.wasm"]);

  // Signed out, a deep link goes to the login page with the way back.
  await page.goto("/app/runners?status=pending");
  await expect(page).toHaveURL(/\/app\/login\?next=%2Fapp%2Frunners%3Fstatus%3Dpending$/);

  await page.fill("#username", "admin");
  await page.fill("#password", password);
  await page.click("#login");
  await expect(page).toHaveURL(/\/app\/runners\?status=pending$/);
  await expect(page.locator("h1")).toHaveText("Runners");
  await expect(page.locator("#filter-status")).toHaveValue("pending");
  await expect(page.locator("#runners-empty")).toBeVisible();
  expect(fetched.some((p) => p.includes("split_runners_page"))).toBe(true);
  expect(fetched.some((p) => p.includes("split_provision_page"))).toBe(false);
  await check(page, "runners");

  // A team with a policy, and the admin in it (through the API the console also uses).
  const headers = { "X-Requested-With": "gharts" };
  const me = await (await page.request.get("/api/v1/auth/me")).json();
  const team = await page.request.post("/api/v1/admin/teams", {
    headers,
    data: { name: "team-c", required_labels: ["team-c"], optional_label_patterns: ["gpu-.*"], max_runners: 2 },
  });
  expect(team.status()).toBe(201);
  const teamId = (await team.json()).id;
  const member = await page.request.post(`/api/v1/admin/teams/${teamId}/members`, { headers, data: { user_id: me.user_id } });
  expect(member.ok()).toBe(true);

  // The dashboard counts on the server and shows the team's quota.
  await page.goto("/app/");
  await expect(page.locator("h1")).toHaveText("Dashboard");
  await expect(page.locator("#count-total")).toHaveText("0");
  await expect(page.locator("#quota-team-c")).toHaveText("0 of 2 runners");
  await expect(page.locator("#service-status")).toContainText("Service up");
  await check(page, "dashboard");

  // Provisioning: the dry run adds the required label and refuses a label outside the policy.
  await page.click("a[href='/app/runners/provision']");
  await expect(page.locator("h1")).toHaveText("Provision a runner");
  await expect(page.locator("#team")).toHaveValue(teamId);
  await page.fill("#label-input", "gpu-a100");
  await page.press("#label-input", "Enter");
  await expect(page.locator("#final-labels .pill.added", { hasText: "team-c" })).toBeVisible();
  await expect(page.locator("#final-labels .pill:not(.added)", { hasText: "gpu-a100" })).toBeVisible();
  await check(page, "provision");
  await page.fill("#label-input", "cpu-big");
  await page.press("#label-input", "Enter");
  await expect(page.locator("#dry-run-refused")).toContainText("LABEL_POLICY_VIOLATION");
  await page.click("button[aria-label='Remove label cpu-big']");
  await expect(page.locator("#dry-run")).toBeVisible();

  // Runner detail of an unknown runner, the admin overview, and an unknown page.
  await page.goto("/app/runners/00000000-0000-4000-8000-000000000000");
  await expect(page.locator("#runner-missing")).toBeVisible();
  await check(page, "runner-missing");
  await page.goto("/app/admin");
  await expect(page.locator("#admin-stats")).toBeVisible();
  await page.click("#sync-now");
  await expect(page.locator("p.notice")).toBeVisible();
  await check(page, "admin-overview");
  await page.goto("/app/no-such-page");
  await expect(page.locator("#not-found")).toBeVisible();
  await check(page, "not-found");

  expect(pageErrors).toEqual([]);
});
