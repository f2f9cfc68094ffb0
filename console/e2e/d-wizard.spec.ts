import { expect, test, type Page } from "@playwright/test";
import { HOSTILE_GROUP, newTenant, stack } from "./stack";
import { expectAccessible, screenshot, signIn, watchPage } from "./ui";

const next = (page: Page) => page.getByRole("button", { name: "Next" }).click();

test("the set-up wizard, as an admin, from an empty tenant to deployed devices", async ({ page }) => {
  const tenant = newTenant("wizard");
  const seen = watchPage(page);
  await signIn(page, tenant, "admin");
  await page.getByRole("navigation").getByRole("link", { name: "Set up" }).click();

  // 1. The Okta org: an API validation error is shown on the field it names, then the org is connected.
  await expect(page.getByText("No Okta org connected yet")).toBeVisible();
  // Next without an org stays here and says why (the later steps need it).
  await next(page);
  await expect(page.getByText("Connect an Okta org first").first()).toBeVisible();
  await page.getByLabel("Okta domain").fill("acme%2Eokta.com");
  await page.getByLabel("Client ID").fill(stack.clientId);
  await page.getByLabel("Client secret", { exact: true }).fill(stack.clientSecret);
  await page.getByRole("button", { name: "Verify and connect" }).click();
  // The message is the field's own (aria-invalid, and its description names the reason), not only a banner.
  const domainInput = page.getByLabel("Okta domain");
  await expect(domainInput).toHaveAttribute("aria-invalid", "true");
  await expect(domainInput).toHaveAccessibleDescription(/Okta domain must name its host as it is used/);
  await screenshot(page, "wizard-error");
  await page.getByLabel("Okta domain").fill(stack.oktaDomain);
  await page.getByRole("button", { name: "Verify and connect" }).click();
  const orgs = page.getByRole("table", { name: "Connected Okta orgs" });
  await expect(orgs).toContainText(stack.oktaDomain);
  await expect(orgs).toContainText("okta.devices.read");
  await expect(orgs).toContainText("Set (");
  await expect(orgs).not.toContainText(stack.clientSecret);
  await expectAccessible(page, "wizard: Okta org");

  // 2. The org device trust uses.
  await next(page);
  await page.getByRole("button", { name: /^Okta org/ }).click();
  await page.getByRole("option", { name: stack.oktaDomain }).click();
  await page.getByRole("button", { name: "Use this org" }).click();
  await expect(page.getByText("Active", { exact: true })).toBeVisible();
  await expectAccessible(page, "wizard: device trust org");

  // 3. The UEM.
  await next(page);
  await page.getByLabel("Portal URL").fill(`https://${stack.hexnodePortal}`);
  await page.getByLabel("API key").fill(stack.hexnodeApiKey);
  await page.getByRole("button", { name: "Verify and save" }).click();
  await expect(page.getByText("Connected", { exact: true })).toBeVisible();
  await expect(page.getByText(stack.hexnodeApiKey)).toHaveCount(0);
  await expectAccessible(page, "wizard: UEM");

  // 4. Platforms: iOS saved, switched on, its document previewed with the secret masked.
  await next(page);
  await page.getByLabel("iOS secret key").fill("ios-wizard-secret-key");
  await page.getByRole("button", { name: "Save iOS" }).click();
  await expect(page.getByText(/^Set \(/).first()).toBeVisible();
  const iosSwitch = page.getByRole("checkbox", { name: "iOS switched on" });
  await expect(iosSwitch).not.toBeChecked();
  await iosSwitch.click();
  await expect(iosSwitch).toBeChecked();
  await expect(page.getByText("iOS switched on", { exact: true })).toBeVisible();
  await page.getByText("Preview the document devices get").click();
  const doc = page.getByLabel("iOS document");
  await expect(doc).toBeVisible();
  await expect(doc).not.toContainText("ios-wizard-secret-key");
  await screenshot(page, "wizard-platform");
  await expectAccessible(page, "wizard: platforms");

  // 5. The fleet: Okta groups searched by name (hostile names as text), a UEM device group, the preview.
  await next(page);
  await page.getByRole("button", { name: "Okta user groups" }).click();
  await page.getByRole("combobox", { name: "Search Okta user groups" }).fill("Sales");
  await page.getByRole("option", { name: /^Sales/ }).click();
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "UEM device groups" }).click();
  await page.getByRole("combobox", { name: "Search UEM device groups" }).fill("script");
  await expect(page.getByRole("option", { name: new RegExp(HOSTILE_GROUP.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) })).toBeVisible();
  await page.getByRole("option").first().click();
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Preview the fleet" }).click();
  await expect(page.getByText(/in scope/).first()).toBeVisible();
  await expect(page.getByRole("table", { name: "Excluded by reason" })).toBeVisible();
  await screenshot(page, "wizard-fleet");
  await expectAccessible(page, "wizard: fleet");
  await page.getByRole("button", { name: "Save the fleet" }).click();
  await expect(page.getByText(/Saved: 1 Okta groups, 1 UEM device groups/)).toBeVisible();

  // 6. Okta Verify for iOS through VPP.
  await next(page);
  await page.getByRole("button", { name: "iOS app" }).click();
  await page.getByRole("option", { name: /Okta Verify/ }).first().click();
  await page.getByLabel("iOS VPP location token").fill("Acme VPP");
  await page.getByLabel("iOS licenses").fill("50");
  await page.getByRole("button", { name: "Save iOS method" }).click();
  await expect(page.getByText(/Saved: Apple VPP, Okta Verify/)).toBeVisible();
  await expectAccessible(page, "wizard: Okta Verify");

  // 7. The event hook: URL, header and event types to copy; the secret saved as "set".
  await next(page);
  await expect(page.getByText(`/hooks/okta/${tenant}`)).toBeVisible();
  await page.getByLabel("Authorization header value").fill("a-long-random-hook-secret-value-0123456789");
  await page.getByRole("button", { name: "Save header value" }).click();
  await expect(page.getByText(/^Set \(/)).toBeVisible();
  await expectAccessible(page, "wizard: event hook");

  // Leaving and coming back resumes at the same step.
  await page.getByRole("navigation").getByRole("link", { name: "Device status" }).click();
  await page.getByRole("navigation").getByRole("link", { name: "Set up" }).click();
  await expect(page.getByRole("heading", { name: "The event hook to create in Okta" })).toBeVisible();
  // The Okta app may manage event hooks: the product registers the hook in Okta (Okta verifies the product's URL)
  // with the secret saved above, and from then on only rotates it.
  await page.getByRole("button", { name: "Register in Okta" }).click();
  await expect(page.getByRole("heading", { name: "The event hook in Okta" })).toBeVisible();
  await expect(page.getByText("Active, verified")).toBeVisible();
  await expect(page.getByRole("button", { name: "Save header value" })).toHaveCount(0);
  await expectAccessible(page, "wizard: event hook registered");

  // 8. Apply, reconcile and deploy, with progress until the devices are done.
  await next(page);
  await page.getByRole("button", { name: "Apply, reconcile and deploy" }).click();
  // Every in-scope device (at least one) ends up carrying its items.
  await expect(page.getByText(/Deployed: ([1-9]\d*) of \1 devices carry their items/).first()).toBeVisible({ timeout: 90_000 });
  await screenshot(page, "wizard-deploy");
  await expectAccessible(page, "wizard: apply and deploy");
  expect(seen.dialogs).toEqual([]);
});
