import { expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { mkdirSync } from "node:fs";
import { stack } from "./stack";

/** Signs in through the console's real OIDC code (authorization code + PKCE) on the local provider's form. */
export async function signIn(page: Page, tenant: string, role: "admin" | "technician", ttl = 3600, path = "/") {
  await page.goto(new URL(path, stack.consoleUrl).toString());
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Tenant").fill(tenant);
  await page.getByLabel("Role").selectOption(role);
  await page.getByLabel("Token lifetime in seconds").fill(String(ttl));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: `${tenant} · ${role}` })).toBeVisible();
}

/** Fails the test on any serious or critical accessibility violation of the page as it is now. */
export async function expectAccessible(page: Page, what: string) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${what}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join("; ")}`)).toEqual([]);
}

/** A screenshot of the page for the docs: kept under test-results always, and in docs/console with
 * ODT_SCREENSHOTS=docs (how the committed ones are made). */
export async function screenshot(page: Page, name: string) {
  const dir = process.env.ODT_SCREENSHOTS === "docs" ? "../docs/console" : "test-results/screenshots";
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: false });
}

/** Records what must never happen on a page: an alert or other dialog (injected script), a token in a URL. */
export function watchPage(page: Page) {
  const seen = { dialogs: [] as string[], urls: [] as string[], logs: [] as string[] };
  page.on("dialog", (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("request", (r) => seen.urls.push(r.url()));
  page.on("framenavigated", (f) => seen.urls.push(f.url()));
  page.on("console", (m) => seen.logs.push(m.text()));
  return seen;
}

/** The access and ID tokens the console holds (session storage), for checking where they must not be. */
export async function heldTokens(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (let i = 0; i < sessionStorage.length; i++) {
      const k = sessionStorage.key(i)!;
      if (!k.startsWith("oidc.user:")) continue;
      const u = JSON.parse(sessionStorage.getItem(k) ?? "{}");
      for (const t of [u.access_token, u.id_token]) if (t) out.push(t);
    }
    return out;
  });
}
