// Browser smoke test of a running frontend (Debian Chromium through playwright-core): the console
// loads under the Nginx CSP with no violation and no page error, shows the login page, and, given
// a password, signs the bootstrap admin in.
//   node browser-smoke.mjs BASE_URL [ADMIN_PASSWORD]      (ARTIFACTS=dir for screenshots)
// BACKEND_ORIGIN=http://host:port makes the browser send the backend's paths there itself, as an
// Ingress would (for two separate pods with no proxy between them).
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const [base, password] = process.argv.slice(2);
const artifacts = process.env.ARTIFACTS ?? "artifacts";
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const problems = [];
// What the page said along the way: printed only when something failed.
const context = [];
try {
  const page = await browser.newPage();
  const backend = process.env.BACKEND_ORIGIN;
  if (backend) {
    const backendPath = /^\/(api|auth|docs)(\/|$)|^\/(healthz|readyz|health|openapi\.json)$/;
    await page.route(
      (url) => backendPath.test(url.pathname),
      (route) => {
        const url = new URL(route.request().url());
        route.continue({ url: backend + url.pathname + url.search });
      },
    );
  }
  page.on("pageerror", (e) => problems.push(`page error: ${e}`));
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
    // A Rust panic's message (console_error_panic_hook) and other console errors, shown on failure.
    else if (m.type() === "error") context.push(`console error: ${m.text()}`);
  });
  // Which request failed, and how (a "Failed to fetch" page error names neither).
  page.on("requestfailed", (r) => context.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  await page.goto(`${base}/app/`);
  // Signed out, the console sends the browser to the login page with the way back.
  await page.waitForURL(/\/app\/login(\?next=%2Fapp%2F)?$/, { timeout: 15000 });
  await page.locator("#username").waitFor({ timeout: 15000 });
  const title = await page.locator("h1").textContent();
  if (title !== "GHARTS") problems.push(`login page heading is ${JSON.stringify(title)}`);
  await page.screenshot({ path: `${artifacts}/login.png`, fullPage: true });
  console.log(`browser: ${base}/app/ shows the login page`);
  if (password) {
    await page.fill("#username", "admin");
    await page.fill("#password", password);
    await page.click("#login");
    await page.waitForURL(/\/app\/$/, { timeout: 15000 });
    const user = await page.locator("#user-name").textContent({ timeout: 15000 });
    if (user !== "admin") problems.push(`signed in as ${JSON.stringify(user)}`);
    await page.screenshot({ path: `${artifacts}/signed-in.png`, fullPage: true });
    console.log(`browser: the bootstrap admin signed in (API via ${backend ? "the backend pod, routed like an Ingress" : "the frontend's proxy"})`);
  }
} catch (e) {
  problems.push(String(e));
} finally {
  await browser.close();
}
if (problems.length) {
  console.error([...problems, ...context].join("\n"));
  process.exit(1);
}
