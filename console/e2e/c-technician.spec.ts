import { expect, test } from "@playwright/test";
import { api, configuredTenant, newTenant } from "./stack";
import { expectAccessible, screenshot, signIn } from "./ui";

test("a technician reads status, exports and shares, and sees no control that changes configuration", async ({ page }) => {
  const tenant = newTenant("tech");
  const admin = await configuredTenant(tenant);
  await api(admin, "PUT", "/technicians", { emails: ["tech@acme-demo.example", "other@acme-demo.example"] });
  await signIn(page, tenant, "technician");
  const nav = page.getByRole("navigation");
  await expect(nav.getByRole("link", { name: "Device status" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Set up" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Manage" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Download CSV" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Share" })).toBeVisible();
  await nav.getByRole("link", { name: "Technicians" }).click();
  await expect(page.getByRole("table", { name: "Technicians" })).toContainText("other@acme-demo.example");
  await expect(page.getByRole("button", { name: "Edit list" })).toHaveCount(0);
  await screenshot(page, "technicians");
  await expectAccessible(page, "technicians page (technician)");
  // Configuration pages are not there for a technician, even by their address.
  for (const path of ["/setup", "/manage"]) {
    await page.goto(new URL(path, page.url()).toString());
    await expect(page).toHaveURL(/\/status/);
    await expect(page.getByRole("button", { name: /Save|Verify|Delete|Apply/ })).toHaveCount(0);
    await expect(page.getByRole("checkbox")).toHaveCount(0);
  }
});
