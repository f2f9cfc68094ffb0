import { expect, test } from "@playwright/test";
import { configuredTenant, newTenant, stack } from "./stack";
import { expectAccessible, heldTokens, signIn, watchPage } from "./ui";

test("sign-in goes through the OIDC form, tokens stay out of URLs, localStorage and logs; sign-out ends it", async ({ page }) => {
  const tenant = newTenant("auth");
  await configuredTenant(tenant);
  const seen = watchPage(page);
  await page.goto(stack.consoleUrl);
  await expectAccessible(page, "sign-in page");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByLabel("Tenant")).toBeVisible();
  await expectAccessible(page, "OIDC sign-in form");
  await page.getByLabel("Tenant").fill(tenant);
  await page.getByLabel("Role").selectOption("admin");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: `${tenant} · admin` })).toBeVisible();
  await expect(page).toHaveURL(/\/status$/);
  await expect(page.getByRole("heading", { name: "Devices" })).toBeVisible();
  const tokens = await heldTokens(page);
  expect(tokens.length).toBeGreaterThan(0);
  const local = await page.evaluate(() => JSON.stringify({ ...localStorage }));
  for (const t of tokens) {
    expect(seen.urls.filter((u) => u.includes(t))).toEqual([]);
    expect(local.includes(t)).toBe(false);
    expect(seen.logs.filter((l) => l.includes(t))).toEqual([]);
  }
  expect(seen.urls.filter((u) => /[?&#](access_token|id_token)=/.test(u))).toEqual([]);
  expect(page.url()).not.toContain("code=");
  await page.getByRole("button", { name: `${tenant} · admin` }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  expect(await heldTokens(page)).toEqual([]);
});

test("an expired token leads to signing in again", async ({ page }) => {
  const tenant = newTenant("expiry");
  await configuredTenant(tenant);
  await signIn(page, tenant, "admin", 4);
  await page.waitForTimeout(5_000);
  await page.getByRole("link", { name: "Technicians" }).click();
  await expect(page.getByText("Your session has ended. Sign in again to go on.")).toBeVisible();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Tenant").fill(tenant);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: `${tenant} · admin` })).toBeVisible();
});

test("the console is served with a Content-Security-Policy without inline script", async ({ request }) => {
  const r = await request.get(stack.consoleUrl);
  const csp = r.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(await r.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
});
