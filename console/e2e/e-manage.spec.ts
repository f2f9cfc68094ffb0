import { expect, test } from "@playwright/test";
import { api, configuredTenant, newTenant, stack } from "./stack";
import { expectAccessible, screenshot, signIn } from "./ui";

test("management: credentials verified first, platform switch, re-configure, fleet, delete with progress", async ({ page }) => {
  const tenant = newTenant("manage");
  const admin = await configuredTenant(tenant);
  const before = await api<{ devicesCarryingItems: number }>(admin, "GET", "/deployments");
  expect(before.devicesCarryingItems).toBeGreaterThan(0);
  await signIn(page, tenant, "admin");
  await page.getByRole("navigation").getByRole("link", { name: "Manage" }).click();
  await expect(page.getByRole("heading", { name: "Update client ID and secret" })).toBeVisible();
  await screenshot(page, "manage");
  await expectAccessible(page, "manage page");

  // A wrong secret is refused by Okta, shown on the credentials; the right one is verified and kept.
  await page.getByLabel("Client secret", { exact: true }).fill("not-the-secret");
  await page.getByRole("button", { name: "Verify and update" }).click();
  // Okta's own refusal, shown once its answer is in (a generic error class matched before the answer came, and
  // the next click then met the button still busy with the first request).
  await expect(page.getByText(/Okta refused the client credentials/).first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Verify and update" })).toBeEnabled();
  await expect(page.getByText("Verified with Okta and saved.")).toHaveCount(0);
  await page.getByLabel("Client secret", { exact: true }).fill(stack.clientSecret);
  await page.getByRole("button", { name: "Verify and update" }).click();
  await expect(page.getByText("Verified with Okta and saved.")).toBeVisible();

  // The platform switch.
  const ios = page.getByRole("checkbox", { name: "iOS switched on" });
  await expect(ios).toBeChecked();
  await ios.click();
  await expect(page.getByRole("checkbox", { name: "iOS switched on" })).not.toBeChecked();
  await page.getByRole("checkbox", { name: "iOS switched on" }).click();
  await expect(page.getByRole("checkbox", { name: "iOS switched on" })).toBeChecked();

  // Re-configure and edit the fleet open the wizard at their step.
  await page.getByRole("button", { name: "Re-configure iOS" }).click();
  await expect(page.getByRole("heading", { name: "Management attestation per platform" })).toBeVisible();
  await page.getByRole("navigation").getByRole("link", { name: "Manage" }).click();
  await page.getByRole("button", { name: "Edit the fleet" }).click();
  await expect(page.getByRole("heading", { name: "The fleet", exact: true })).toBeVisible();
  await page.getByRole("navigation").getByRole("link", { name: "Manage" }).click();

  // Delete: the confirmation names what comes off; progress until every item is off.
  await page.getByRole("button", { name: "Delete device trust" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("iOS");
  await expectAccessible(page, "delete confirmation");
  await dialog.getByLabel("Confirmation").fill("delete");
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByText("Every item is off every device.").first()).toBeVisible({ timeout: 90_000 });
  const after = await api<{ devicesCarryingItems: number }>(admin, "GET", "/deployments");
  expect(after.devicesCarryingItems).toBe(0);
});

test("a version conflict offers to reload", async ({ page }) => {
  const tenant = newTenant("conflict");
  await configuredTenant(tenant);
  await signIn(page, tenant, "admin");
  await page.getByRole("navigation").getByRole("link", { name: "Technicians" }).click();
  await expectAccessible(page, "technicians page (admin)");
  await page.getByRole("button", { name: "Edit list" }).click();
  // Someone else saves the list meanwhile.
  const { tokenFor } = await import("./stack");
  await api(await tokenFor(tenant, "admin"), "PUT", "/technicians", { emails: ["first@acme-demo.example"], version: 0 });
  await page.getByLabel("Email addresses").fill("second@acme-demo.example");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText(/Someone changed this meanwhile/)).toBeVisible();
  await page.getByRole("button", { name: "Reload" }).click();
  await expect(page.getByRole("table", { name: "Technicians" })).toContainText("first@acme-demo.example");
});
