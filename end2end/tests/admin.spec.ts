// The admin console as an admin uses it during setup and an incident: a team with its label
// policy, quota and runner group; its members and M2M client (registered, then rotated); users
// edited and disabled in a batch with a reason; the audit log and security events. A member
// (SSO as carol, when the test OpenID Provider runs) gets the 403 page on every admin URL.
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
  test.setTimeout(180_000);
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await signInAsAdmin(page);

  // Another team and a user in it (through the API), to add to the new team in the console.
  const other = await api(page, "post", "/api/v1/admin/teams", { name: "adm-other", description: "Another team" });
  await api(page, "post", "/api/v1/admin/users", { email: "erin@example.com", team_ids: [other.id] });

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

  // Members: find erin among the active users who are not members, add him.
  await page.click(`button[aria-label='Members of ${TEAM}']`);
  await expect(page.locator("#members-empty")).toBeVisible();
  await page.fill("#member-search", "erin");
  await page.click("button[aria-label='Add erin@example.com']");
  await expect(page.locator("#members-list li[data-member='erin@example.com']")).toContainText("Joined");
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
  await expect(page.locator("#client-facts ~ details summary")).toContainText("1 earlier registration");
  // Disabling is confirmed; enabling is not.
  await page.click("#client-toggle");
  await page.click("#client-disable-confirm");
  await expect(page.locator("#client-status")).toContainText("Disabled");
  await page.click("#client-toggle");
  await expect(page.locator("#client-status")).toHaveText("Active");
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
  await expect(page.locator(".notice.success")).toContainText("1 team changed");

  // The admins team: revoking the last admin is refused, and the rule is explained.
  await page.click("button[aria-label='Members of admins']");
  await page.click("button[aria-label='Revoke admin from admin']");
  await page.click("#member-confirm");
  await expect(page.locator("#last-admin-rule")).toBeVisible();
  // Granting admin offers only users who are not admins yet.
  await page.fill("#member-search", "admin");
  await expect(page.locator("#member-search-empty")).toBeVisible();
  await page.click("#members-close");

  // A provisioning request outside the team's label policy (scripts/e2e.sh runs the fake GitHub):
  // refused before GitHub is asked, and recorded as a security event.
  const refused = await page.request.post("/api/v1/runners/jit", { headers, data: { team_name: TEAM, runner_name_prefix: "gpu", labels: ["cpu-big"] } });
  expect(refused.status(), await refused.text()).toBe(403);

  // Users: search on the server (in the URL), edit, and the admin grant asks for a confirmation.
  await page.goto("/app/admin/users");
  await expect(page.locator("h1")).toHaveText("Users");
  await check(page, "users", "admin");
  await page.fill("#filter-search", "ERIN");
  await page.press("#filter-search", "Enter");
  await expect(page).toHaveURL(/q=ERIN/);
  await expect(page.locator("#users-table tbody tr")).toHaveCount(1);
  await page.click("button[aria-label='Edit erin@example.com']");
  await expect(page.locator("#user-teams")).toContainText(TEAM);
  await page.fill("#user-display-name", "Erin Example");
  await page.check("#user-admin");
  await page.click("#user-save");
  await expect(page.locator("#user-admin-title")).toHaveText("Make erin@example.com an admin?");
  await check(page, "user-admin-confirm", "admin");
  await page.locator("dialog[aria-labelledby='user-admin-title'] button", { hasText: "Cancel" }).click();
  await page.uncheck("#user-admin");
  await check(page, "user-form", "admin");
  await page.click("#user-save");
  await expect(page.locator(".notice.success")).toHaveText("User Erin Example saved.");

  // Create a user in the team.
  await page.goto("/app/admin/users");
  await page.click("#user-create");
  await page.fill("#user-email", "frank@example.com");
  await page.locator("#user-form label", { hasText: TEAM }).locator("input").check();
  await page.click("#user-save");
  await expect(page.locator(".notice.success")).toHaveText("User frank@example.com created.");
  // Deactivating one user asks for a reason (it ends their sessions).
  await page.click("button[aria-label='Edit frank@example.com']");
  await page.uncheck("#user-active");
  await expect(page.locator("#user-save")).toBeDisabled();
  await page.fill("#user-deactivate-reason", "left the company");
  await page.click("#user-save");
  await expect(page.locator(".notice.success")).toHaveText("User frank@example.com deactivated.");
  await expect(page.locator("tr[data-user='frank@example.com']")).toHaveCount(0);

  // Batch disable with a reason (10–500 characters, counted) after the preview.
  await page.check("input[aria-label='Select Erin Example']");
  await page.click("#batch-disable");
  await expect(page.locator("#user-batch-preview")).toContainText("erin@example.com — would be disabled");
  await page.fill("#user-batch-reason", "too short");
  await expect(page.locator("#user-batch-confirm")).toBeDisabled();
  await expect(page.locator("#user-batch-reason-count")).toContainText("9 / 500");
  await page.fill("#user-batch-reason", "laptop stolen, incident 42");
  await check(page, "users-batch", "admin");
  await page.click("#user-batch-confirm");
  await expect(page.locator(".notice.success")).toContainText("1 user changed");
  await expect(page.locator("tr[data-user='erin@example.com']")).toHaveCount(0);
  // The state filter, in the URL: deactivated users only (frank and erin), then all.
  await page.selectOption("#filter-state", "deactivated");
  await expect(page).toHaveURL(/state=deactivated/);
  await expect(page.locator("tr[data-user='erin@example.com']")).toBeVisible();
  await expect(page.locator("tr[data-user='frank@example.com']")).toBeVisible();
  await expect(page.locator("#users-table tbody tr")).toHaveCount(2);
  await check(page, "users-deactivated", "admin");
  await page.selectOption("#filter-state", "all");
  await expect(page).toHaveURL(/state=all/);
  await expect(page.locator("tr[data-user='erin@example.com']")).toBeVisible();
  await expect(page.locator("#users-table tbody tr").first()).toBeVisible();

  // Audit log: each step with its actor; the type filter in the URL; the details drawer.
  await page.goto("/app/admin/audit");
  await expect(page.locator("h1")).toHaveText("Audit log");
  await expect(page.locator("tr[data-event='team_created'] .actor").first()).toContainText("admin");
  await expect(page.locator("tr[data-event='oauth_client_created']")).toHaveCount(2);
  await check(page, "audit", "admin");
  await page.selectOption("#filter-type", "team_member_added");
  await expect(page).toHaveURL(/type=team_member_added/);
  await expect(page.locator("#audit-table tbody tr:not([data-event='team_member_added'])")).toHaveCount(0);
  const shown = await page.locator("#audit-table tbody tr").count();
  expect(shown).toBeGreaterThan(0);
  await page.locator("button[aria-label^='Details of entry']").first().click();
  await expect(page.locator("#details-ip")).toHaveText("127.0.0.1");
  await expect(page.locator("#details-ua")).toContainText("Chrome");
  await check(page, "audit-details", "admin");
  await page.click("#details-close");
  // The export link carries the filters and works with the session cookie.
  const exported = await page.request.get((await page.locator("#export-jsonl").getAttribute("href")) ?? "");
  expect(exported.status()).toBe(200);
  expect((await exported.text()).trim().split("\n").length).toBe(shown);
  // Refusals are audited too: the last-admin refusal is among the failed entries.
  await page.selectOption("#filter-type", "");
  await page.selectOption("#filter-success", "false");
  await expect(page.locator("tr[data-event='user_updated']")).toHaveCount(1);
  await page.click("#verify-chain");
  await expect(page.locator("#chain-result")).toContainText("The chain holds");

  // Security events: the refused label, the team batch (medium) and the user batch (high), with
  // the details drawer.
  await page.goto("/app/admin/security");
  await expect(page.locator("h1")).toHaveText("Security events");
  await expect(page.locator("tr[data-event='label_policy_violation']")).toContainText(TEAM);
  await expect(page.locator("tr[data-event='batch_reactivate_teams'] .badge")).toHaveText("medium");
  await expect(page.locator("tr[data-event='batch_disable_users'] .badge")).toHaveText("high");
  await check(page, "security", "admin");
  await page.selectOption("#filter-severity", "high");
  await expect(page).toHaveURL(/severity=high/);
  await expect(page.locator("tr[data-event='batch_reactivate_teams']")).toHaveCount(0);
  await page.locator("button[aria-label^='Details of event']").first().click();
  await expect(page.locator("#security-details")).toContainText("batch_disable_users");
  await check(page, "security-details", "admin");
  await page.click("#details-close");

  // The admin overview and the navigation to every admin page.
  await page.goto("/app/admin");
  await expect(page.locator("#admin-stats")).toBeVisible();
  await expect(page.locator("#security-last-day li")).toHaveCount(4);
  await expect(page.locator("#security-last-day li", { hasText: "high" }).locator(".stat-value")).toHaveText("1");
  await expect(page.locator("#security-last-day li", { hasText: "medium" }).locator(".stat-value")).toHaveText("3");
  for (const [name, href] of [["Teams", "/app/admin/teams"], ["Users", "/app/admin/users"], ["Audit log", "/app/admin/audit"], ["Security events", "/app/admin/security"]]) {
    await expect(page.locator(`nav.sidebar a[href='${href}']`)).toHaveText(name);
  }
  // GitHub health (scripts/e2e.sh runs the fake GitHub: App 1 installed on organisation e2e).
  await expect(page.locator("#github-state")).toHaveAttribute("data-state", "ok");
  await expect(page.locator("#github-app")).toHaveText("GHARTS test App (gharts-test, id 1)");
  await expect(page.locator("#github-installation")).toHaveText("1 on e2e");
  await expect(page.locator("#github-token")).toHaveText("minted");
  await expect(page.locator("#github-rate")).toContainText("of 5000 left, resets");
  await page.click("#github-recheck");
  await expect(page.locator("#github-state")).toHaveAttribute("data-state", "ok");
  await check(page, "overview", "admin");

  // A large team: the members dialog pages on the server (50 at a time).
  for (let i = 0; i < 50; i++) {
    await api(page, "post", "/api/v1/admin/users", { email: `bulk-${i}@example.com`, team_ids: [other.id] });
  }
  await page.goto("/app/admin/teams");
  await page.click("button[aria-label='Members of adm-other']");
  await expect(page.locator("#members-pager")).toContainText("1–50 of 51");
  await expect(page.locator("#members-list li")).toHaveCount(50);
  await expect(page.locator("#members-pager-prev")).toBeDisabled();
  await page.locator("#members-pager-next").dispatchEvent("click");
  await expect(page.locator("#members-pager")).toContainText("51–51 of 51");
  await expect(page.locator("#members-list li")).toHaveCount(1);
  // The candidates leave out every member, not only the page shown (the server filters them).
  await page.fill("#member-search", "bulk-");
  await expect(page.locator("#member-search-empty")).toBeVisible();
  await check(page, "team-members-paged", "admin");
  await page.fill("#member-search", "");
  await page.locator("#members-pager-prev").dispatchEvent("click");
  await expect(page.locator("#members-list li")).toHaveCount(50);
  await page.click("#members-close");

  expect(pageErrors).toEqual([]);
});

test("a member gets the 403 page on every admin page, and sees only their teams' logs", async ({ page, browser }) => {
  test.setTimeout(120_000);
  test.skip(!process.env.E2E_OIDC, "runs when scripts/test.sh provides the OpenID Provider (carol signs in with SSO)");
  const pageErrors: string[] = [];
  // Setup as the admin: carol (bound by her subject: her email is not verified), an active
  // member of a team of her own (bob belongs to journey.spec.ts).
  await signInAsAdmin(page);
  const team = await api(page, "post", "/api/v1/admin/teams", { name: `carol-${Date.now().toString(36)}` });
  const found = await api(page, "get", "/api/v1/admin/users?include_inactive=true&search=carol-sub");
  if (found.users.length === 0) {
    await api(page, "post", "/api/v1/admin/users", { oidc_sub: "carol-sub", display_name: "Carol", team_ids: [team.id] });
  } else {
    await api(page, "post", `/api/v1/admin/teams/${team.id}/members`, { user_id: found.users[0].id });
    if (!found.users[0].is_active) await api(page, "post", `/api/v1/admin/users/${found.users[0].id}/activate`);
  }

  const carolContext = await browser.newContext();
  const carol = await carolContext.newPage();
  carol.on("pageerror", (e) => pageErrors.push(String(e)));
  const fetched: string[] = [];
  carol.on("request", (r) => fetched.push(new URL(r.url()).pathname));
  await carol.goto("/app/login");
  await carol.click("#sso-login");
  await carol.fill("#username", "carol");
  await carol.fill("#password", "password");
  await carol.click("#login");
  await expect(carol.locator("#role-badge")).toHaveText("Member");

  // Carol's first load fetched none of the admin pages' chunks (opening an admin address fetches
  // the chunk with the route, but the gate renders the 403 page and the server refuses the data).
  expect(fetched.filter((p) => /split_(teams|users|admin_overview|audit|security)_page/.test(p))).toEqual([]);
  for (const path of ["/app/admin", "/app/admin/teams", "/app/admin/users", "/app/admin/teams?inactive=1"]) {
    await carol.goto(path);
    await expect(carol.locator("#forbidden"), path).toBeVisible();
  }
  await check(carol, "forbidden", "admin");
  // …and the first-load module holds none of their text (it lives in their chunks).
  const mainWasm = fetched.find((p) => p.endsWith(".wasm") && !p.includes("/split_") && !p.includes("chunk_"));
  expect(mainWasm).toBeDefined();
  const firstLoad = (await (await carol.request.get(mainWasm ?? "")).body()).toString("latin1");
  for (const text of ["Disable the old client and register this one", "their pending runners are reclaimed at the next sync", "Change teams in a batch"]) {
    expect(firstLoad.includes(text), text).toBe(false);
  }
  // No admin data through the server functions either.
  for (const [fn, data] of [["admin/users/list", { query: { limit: 50, offset: 0 } }], ["admin/stats", {}], ["audit/verify", {}]] as const) {
    const r = await carol.request.post(`/api/ui/${fn}`, { data });
    expect(r.status(), fn).toBe(403);
  }
  // The log pages open, scoped by the server to carol's teams.
  await carol.goto("/app/admin/audit");
  await expect(carol.locator("h1")).toHaveText("Audit log");
  await expect(carol.locator("#verify-chain")).toHaveCount(0);
  await expect(carol.locator("tr[data-event='login']").first()).toBeVisible();
  await check(carol, "member-audit", "admin");
  await carol.goto("/app/admin/security");
  await expect(carol.locator("h1")).toHaveText("Security events");
  expect(await carol.locator("#filter-team").inputValue()).not.toBe("");
  await expect(carol.locator("#security-empty")).toBeVisible();
  await check(carol, "member-security", "admin");
  await carolContext.close();
  expect(pageErrors).toEqual([]);
});
