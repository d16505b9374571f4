// The journey of a team member and an admin through the whole stack: gharts, the OpenID
// Provider (bob signs in with SSO) and the fake GitHub process playing the runners (online
// 1 s after their JIT config is issued, except `held-*` ones, which stay pending), under the
// production Content-Security-Policy. scripts/e2e.sh runs it with E2E_JOURNEY=1 on PostgreSQL.
// The second test is the admin's incident flow of issue 12, in the console from end to end.
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";

const password = process.env.E2E_ADMIN_PASSWORD ?? "";
const artifacts = process.env.E2E_ARTIFACTS ?? "artifacts";
const headers = { "X-Requested-With": "gharts" };

/** A browser context whose CSP violations and page errors are collected. */
async function watched(browser: Browser, problems: string[], permissions: string[] = []): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ permissions });
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`page error: ${e}`));
  // Refused calls (401 signed out, 403, 404) are logged by Chromium as failed loads: expected.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(`console: ${m.text()}`);
  });
  page.on("response", (r) => {
    if (r.status() === 404 && !r.url().includes("/api/")) problems.push(`404: ${r.url()}`);
  });
  // Chromium reports every violation as an event on the document as well.
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  return { context, page };
}

async function shot(page: Page, name: string) {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${artifacts}/journey-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function statusOf(page: Page, runner: string, want: string) {
  // The sync (every 10 s) moves the runner; the list shows what the server knows on each load.
  await expect(async () => {
    await page.reload();
    await expect(page.locator(`tr[data-runner='${runner}'] .badge`)).toHaveText(want, { timeout: 1_000 });
  }).toPass({ timeout: 40_000, intervals: [1_000] });
}

test("bob provisions and deletes a runner for his team; an admin deletes two in bulk", async ({ browser }) => {
  test.skip(!process.env.E2E_JOURNEY, "runs when scripts/e2e.sh provides the OpenID Provider and the fake GitHub");
  test.setTimeout(180_000);
  expect(password, "E2E_ADMIN_PASSWORD must be set").not.toBe("");
  mkdirSync(artifacts, { recursive: true });
  const problems: string[] = [];

  // The admin signs in (local account) and sets the scene through the API the console uses:
  // team-j for bob, team-k with a runner bob must not see.
  const admin = await watched(browser, problems);
  await admin.page.goto("/app/login");
  await admin.page.fill("#username", "admin");
  await admin.page.fill("#password", password);
  await admin.page.click("#login");
  await expect(admin.page.locator("h1")).toHaveText("Dashboard");
  const api = admin.context.request;
  const me = await (await api.get("/api/v1/auth/me")).json();
  const team = async (name: string, body: object) => {
    const r = await api.post("/api/v1/admin/teams", { headers, data: { name, ...body } });
    expect(r.status(), await r.text()).toBe(201);
    return (await r.json()).id as string;
  };
  const teamJ = await team("team-j", { required_labels: ["team-j"], optional_label_patterns: ["gpu-.*"], max_runners: 5 });
  const teamK = await team("team-k", { max_runners: 5 });
  const bob = await api.post("/api/v1/admin/users", { headers, data: { email: "bob@example.com", display_name: "Bob", team_ids: [teamJ] } });
  expect(bob.status(), await bob.text()).toBe(201);
  for (const [t, u] of [[teamJ, me.user_id], [teamK, me.user_id]]) {
    const r = await api.post(`/api/v1/admin/teams/${t}/members`, { headers, data: { user_id: u } });
    expect(r.ok(), await r.text()).toBe(true);
  }
  const provision = async (teamId: string, name: string) => {
    const r = await api.post("/api/v1/runners/jit", { headers, data: { team_id: teamId, runner_name: name } });
    expect(r.status(), await r.text()).toBe(201);
  };
  await provision(teamK, "k-hidden");

  // Bob signs in through the OpenID Provider's own login page.
  const member = await watched(browser, problems, ["clipboard-read", "clipboard-write"]);
  const page = member.page;
  await page.goto("/app/runners");
  await expect(page).toHaveURL(/\/app\/login\?next=%2Fapp%2Frunners$/);
  await page.click("#sso-login");
  await page.fill("#username", "bob");
  await page.fill("#password", "password");
  await page.click("#login");
  await expect(page).toHaveURL(/\/app\/runners$/);
  await expect(page.locator("#role-badge")).toHaveText("Member");
  // Only his team's runners: team-k's is not there.
  await expect(page.locator("#runners-empty")).toBeVisible();
  await expect(page.locator("tr[data-runner='k-hidden']")).toHaveCount(0);

  // Provision: a label outside the policy is refused with the policy's message first; the dry
  // run then shows the required label the policy adds.
  await page.click("a[href='/app/runners/provision']");
  await expect(page.locator("#team")).toHaveValue(teamJ);
  await page.fill("#runner-name", "bob-build");
  await page.fill("#label-input", "cpu-big");
  await page.press("#label-input", "Enter");
  await expect(page.locator("#dry-run-refused")).toContainText("LABEL_POLICY_VIOLATION");
  await page.click("button[aria-label='Remove label cpu-big']");
  await page.fill("#label-input", "gpu-a100");
  await page.press("#label-input", "Enter");
  await expect(page.locator("#final-labels .pill.added", { hasText: "team-j" })).toBeVisible();
  await shot(page, "provision");
  await page.click("#provision");
  await expect(page.locator("#provisioned")).toBeVisible();
  // The name is the prefix with a random suffix.
  await expect(page.locator("#done-title")).toHaveText(/^Runner bob-build-[0-9a-f]{12} provisioned$/);
  const runner = ((await page.locator("#done-title").textContent()) ?? "").split(" ")[1];
  await page.click("#copy-run-command");
  await expect(page.locator("#copy-run-command-status")).not.toBeEmpty();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toContain("--jitconfig");
  await shot(page, "provisioned");

  // The list shows it pending, then idle once the fake runner is online and the sync has run.
  await page.goto("/app/runners");
  await expect(page.locator(`tr[data-runner='${runner}']`)).toBeVisible();
  await statusOf(page, runner, "idle");
  await shot(page, "runners");

  // The detail page, and delete with the confirmation.
  await page.click(`tr[data-runner='${runner}'] th a`);
  await expect(page.locator("#runner-name")).toHaveText(runner);
  await expect(page.locator("#audit-trail")).toContainText("provision");
  await shot(page, "runner-detail");
  await page.click("#delete-runner");
  await page.click("dialog[open] .confirm-delete");
  await expect(page).toHaveURL(/\/app\/runners\?status=deleted$/);
  await expect(page.locator(`tr[data-runner='${runner}'] .badge`)).toHaveText("deleted");

  // A member at an admin URL gets the 403 page in the shell.
  await page.goto("/app/admin");
  await expect(page.locator("#forbidden")).toBeVisible();
  await shot(page, "forbidden");

  // An expired session (GHARTS's cookie gone, the provider's kept) sends bob to sign in and back
  // to where he was.
  await member.context.clearCookies({ name: "gharts_session" });
  await page.goto("/app/runners?status=deleted");
  await expect(page).toHaveURL(/\/app\/login\?next=%2Fapp%2Frunners%3Fstatus%3Ddeleted$/);
  await page.click("#sso-login");
  // The provider remembers bob's session: no second password prompt, straight back.
  await expect(page).toHaveURL(/\/app\/runners\?status=deleted$/);

  // The admin deletes two of team-j's runners in bulk, with a reason, after a preview.
  await provision(teamJ, "j-one");
  await provision(teamJ, "j-two");
  const ap = admin.page;
  await ap.goto("/app/runners?team=team-j");
  for (const name of ["j-one", "j-two"]) await ap.check(`input[aria-label='Select ${name}']`);
  await ap.click("#bulk-delete");
  await expect(ap.locator("#bulk-preview li")).toHaveCount(2);
  await ap.fill("#bulk-reason", "Decommissioning the j pool after the journey test");
  await shot(ap, "bulk-delete");
  await ap.click("#bulk-confirm");
  await expect(ap.locator(".notice.success")).toContainText("Deleted 2 runners");
  await ap.goto("/app/runners?status=deleted");
  for (const name of ["j-one", "j-two"]) await expect(ap.locator(`tr[data-runner='${name}'] .badge`)).toHaveText("deleted");

  expect(problems).toEqual([]);
  await member.context.close();
  await admin.context.close();
});

/** Bob signs in through the OpenID Provider's login page in a fresh context. */
async function bobSignsIn(page: Page, next: string) {
  await page.goto(next);
  await page.click("#sso-login");
  await page.fill("#username", "bob");
  await page.fill("#password", "password");
  await page.click("#login");
  await expect(page.locator("#role-badge")).toHaveText("Member");
  expect(new URL(page.url()).pathname).toBe(next);
}

/** Bob provisions one `held-*` runner (the fake GitHub never brings those online) in team-x. */
async function provisionHeld(page: Page): Promise<string> {
  await page.goto("/app/runners/provision");
  await page.selectOption("#team", { label: "team-x" });
  await page.fill("#runner-name", "held");
  await expect(page.locator("#quota-line")).toContainText("Team quota:");
  await page.click("#provision");
  await expect(page.locator("#done-title")).toHaveText(/^Runner held-[0-9a-f]{12} provisioned$/);
  return ((await page.locator("#done-title").textContent()) ?? "").split(" ")[1];
}

// team-x is this test's own team (no other spec may create it: the create would answer 409).
test("incident: an admin sets up team-x, bob fills its quota, the admin disables bob and his unused runners are reclaimed", async ({ browser }) => {
  test.skip(!process.env.E2E_JOURNEY, "runs when scripts/e2e.sh provides the OpenID Provider and the fake GitHub");
  test.setTimeout(180_000);
  mkdirSync(artifacts, { recursive: true });
  const problems: string[] = [];
  const admin = await watched(browser, problems);
  const ap = admin.page;
  await ap.goto("/app/login");
  await ap.fill("#username", "admin");
  await ap.fill("#password", password);
  await ap.click("#login");
  await expect(ap.locator("#role-badge")).toHaveText("Admin");
  // Bob exists (the first test created him); alone, this test creates him.
  const found = await (await ap.request.get("/api/v1/admin/users?include_inactive=true&search=bob@example.com")).json();
  if (found.users.length === 0) {
    const r = await ap.request.post("/api/v1/admin/users", { headers, data: { email: "bob@example.com", display_name: "Bob" } });
    expect(r.status(), await r.text()).toBe(201);
  }

  // 1. team-x: required label team-x, pattern gpu-.*, quota 2, runner group 1 (the fake's).
  await ap.goto("/app/admin/teams");
  await ap.click("#team-create");
  await ap.fill("#team-name", "team-x");
  await ap.fill("#team-required", "team-x");
  await ap.press("#team-required", "Enter");
  await ap.fill("#team-patterns", "gpu-.*");
  await ap.press("#team-patterns", "Enter");
  await expect(ap.locator("#pattern-check")).toContainText("accepts every pattern");
  await ap.fill("#team-max", "2");
  await ap.fill("#team-groups", "1");
  await ap.press("#team-groups", "Enter");
  await ap.click("#team-save");
  const row = ap.locator("tr[data-team='team-x']");
  await expect(row).toContainText("0 of 2");
  await expect(row).toContainText("1 (default)");

  // 2. Bob joins it.
  await ap.click("button[aria-label='Members of team-x']");
  await ap.fill("#member-search", "bob");
  await ap.locator("#member-candidates li", { hasText: "bob@example.com" }).locator("button").click();
  await expect(ap.locator("#members-list li", { hasText: "bob@example.com" })).toContainText("Joined");
  await ap.click("#members-close");

  // 3. Its CI pipeline's M2M client, registered and then rotated in one guided step.
  await ap.click("button[aria-label='M2M client of team-x']");
  await ap.click("#client-register");
  await ap.fill("#client-id-input", "team-x-ci-1");
  await ap.fill("#client-description", "team-x pipeline");
  await ap.click("#client-submit");
  await expect(ap.locator("#client-status")).toHaveText("Active");
  await ap.click("#client-rotate");
  await ap.fill("#client-id-input", "team-x-ci-2");
  await ap.click("#client-submit");
  await expect(ap.locator("#client-id")).toHaveText("team-x-ci-2");
  await expect(ap.locator("#client-status")).toHaveText("Active");
  await expect(ap.locator("#client-facts ~ details summary")).toContainText("1 earlier registration");
  await ap.click("#client-close");

  // 4. Bob (SSO): a label outside the policy is refused (and recorded), two runners fit the
  // quota, the third is refused with the quota's message.
  const member = await watched(browser, problems);
  const bp = member.page;
  await bobSignsIn(bp, "/app/runners/provision");
  await bp.selectOption("#team", { label: "team-x" });
  await bp.fill("#runner-name", "held");
  await bp.fill("#label-input", "cpu-big");
  await bp.press("#label-input", "Enter");
  await expect(bp.locator("#dry-run-refused")).toContainText("LABEL_POLICY_VIOLATION");
  await bp.click("#provision");
  await expect(bp.locator("#provision-error")).toContainText("LABEL_POLICY_VIOLATION");
  const held = [await provisionHeld(bp), await provisionHeld(bp)];
  await bp.goto("/app/runners/provision");
  await bp.selectOption("#team", { label: "team-x" });
  const quota = "Team 'team-x' runner quota exceeded. Maximum allowed: 2, current: 2";
  await expect(bp.locator("#dry-run-refused")).toContainText(quota);
  await bp.click("#provision");
  await expect(bp.locator("#provision-error")).toContainText(quota);
  await expect(bp.locator("#provision-error")).toContainText("QUOTA_EXCEEDED");
  // Said once: the policy check no longer repeats the refusal the attempt got.
  await expect(bp.locator("#dry-run-refused")).toHaveCount(0);
  await shot(bp, "incident-quota");

  // 5. Bob's team view of the security events shows the refused label.
  await bp.goto("/app/admin/security");
  await bp.selectOption("#filter-team", { label: "team-x" });
  await expect(bp.locator("tr[data-event='label_policy_violation']")).toContainText("team-x");
  await shot(bp, "incident-bob-security");

  // 6. The incident: the admin disables bob in a batch, with a reason, after the preview.
  await ap.goto("/app/admin/users?q=bob%40example.com");
  await ap.locator("tr[data-user='bob@example.com'] input[type='checkbox']").check();
  await ap.click("#batch-disable");
  await expect(ap.locator("#user-batch-preview")).toContainText("bob@example.com — would be disabled");
  await ap.fill("#user-batch-reason", "laptop stolen, incident 12");
  await ap.click("#user-batch-confirm");
  await expect(ap.locator(".notice.success")).toContainText("1 user changed");
  // His session has ended.
  await bp.goto("/app/runners");
  await expect(bp).toHaveURL(/\/app\/login/);

  // 7. The next sync reclaims his two unused runners (at GitHub too); the runners page shows why.
  await ap.goto("/app/runners?team=team-x&status=deleted");
  await expect(async () => {
    await ap.reload();
    for (const name of held) {
      await expect(ap.locator(`tr[data-runner='${name}'] .badge`)).toHaveText("deleted", { timeout: 1_000 });
      await expect(ap.locator(`tr[data-runner='${name}'] .deletion-reason`)).toHaveText("owner deactivated", { timeout: 1_000 });
    }
  }).toPass({ timeout: 40_000, intervals: [1_000] });
  await shot(ap, "incident-runners");

  // 8. The audit log: every step with its actor, and the chain holds.
  await ap.goto("/app/admin/audit");
  await ap.fill("#filter-team", "team-x");
  await ap.press("#filter-team", "Enter");
  await expect(ap).toHaveURL(/team=team-x/);
  const steps: [string, string, number][] = [
    ["team_created", "admin", 1],
    ["team_member_added", "admin", 1],
    ["oauth_client_created", "admin", 2],
    ["oauth_client_updated", "admin", 1],
    ["provision_jit", "bob", 2],
    ["runner_removed", "system", 2],
  ];
  for (const [event, actor, n] of steps) {
    await expect(ap.locator(`tr[data-event='${event}']`), event).toHaveCount(n);
    await expect(ap.locator(`tr[data-event='${event}'] .actor`).first(), event).toContainText(actor);
  }
  await shot(ap, "incident-audit");
  await ap.goto("/app/admin/audit?type=batch_disable_users");
  await expect(ap.locator("tr[data-event='batch_disable_users'] .actor").first()).toContainText("admin");
  await ap.click("#verify-chain");
  await expect(ap.locator("#chain-result")).toContainText("The chain holds");

  // 9. The admin sees the refused label among the security events.
  await ap.goto("/app/admin/security?type=label_policy_violation");
  const teamX = ap.getByRole("cell", { name: "team-x", exact: true });
  await expect(ap.locator("tr[data-event='label_policy_violation']").filter({ has: teamX })).toHaveCount(1);
  await shot(ap, "incident-security");

  expect(problems).toEqual([]);
  await member.context.close();
  await admin.context.close();
});
