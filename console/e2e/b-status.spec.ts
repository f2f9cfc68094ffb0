import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { api, configuredTenant, HOSTILE_DEVICE, newTenant } from "./stack";
import { expectAccessible, screenshot, signIn, watchPage } from "./ui";

/** A small RFC 4180 reader (quoted fields, doubled quotes, CRLF), enough to check the export parses. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n") { row.push(field.replace(/\r$/, "")); rows.push(row); row = []; field = ""; }
    else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

test("status: summary, filters, device page, exports, share; hostile names stay text", async ({ page }) => {
  const tenant = newTenant("status");
  const admin = await configuredTenant(tenant);
  await api(admin, "PUT", "/technicians", { emails: ["tech@acme-demo.example"] });
  const seen = watchPage(page);
  await signIn(page, tenant, "admin");
  await expect(page.getByRole("heading", { name: "Summary per platform" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Devices" })).toBeVisible();
  await screenshot(page, "status");
  await expectAccessible(page, "status page");

  // A count links to the filtered device list (the API filters: platform and state in the URL).
  const counts = page.getByRole("table", { name: "Counts per platform and state" });
  await counts.getByRole("link", { name: "iOS", exact: true }).click();
  await expect(page).toHaveURL(/platform=ios/);
  const rows = page.getByRole("table", { name: "Devices" }).locator("tbody tr");
  await expect(rows.first()).toContainText("iOS");
  expect(await rows.filter({ hasText: "Android" }).count()).toBe(0);

  // Text search, then the hostile name as text in the table, never as markup.
  await page.getByRole("searchbox", { name: "Search devices" }).fill("onerror");
  await expect(page).toHaveURL(/q=onerror/);
  const hostile = page.getByRole("link", { name: HOSTILE_DEVICE });
  await expect(hostile).toBeVisible();
  expect(await page.locator("img[src='x']").count()).toBe(0);

  // The device page: evidence and deployment attempts, the name as text.
  await hostile.click();
  await expect(page.getByRole("heading", { name: HOSTILE_DEVICE, level: 1 })).toBeVisible();
  await expect(page.getByText("Okta Verify installed")).toBeVisible();
  await expect(page.getByRole("table", { name: "Deployment items" })).toContainText("Attestation payload");
  expect(await page.locator("img[src='x']").count()).toBe(0);
  await screenshot(page, "device");
  await expectAccessible(page, "device page");

  // Refresh evidence, then the exports of the whole fleet.
  await page.getByRole("link", { name: "Device status" }).first().click();
  await page.getByRole("button", { name: "Refresh evidence" }).click();
  await expect(page.getByText(/Evidence read at/)).toBeVisible();
  const csvDownload = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download CSV" }).click();
  const csv = readFileSync(await (await csvDownload).path(), "utf8").replace(/^\uFEFF/, "");
  const table = parseCsv(csv);
  expect(table.length).toBeGreaterThan(2);
  expect(table.every((r) => r.length === table[0].length)).toBe(true);
  expect(csv).toContain(HOSTILE_DEVICE);
  const pdfDownload = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download PDF" }).click();
  const pdfPath = await (await pdfDownload).path();
  const pdf = readFileSync(pdfPath);
  expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
  const text = execFileSync("pdftotext", [pdfPath, "-"]).toString();
  expect(text).toContain("device configuration status");
  expect(text).toContain(tenant);
  // The report wraps long values, so a name may be split across lines: compared without white space.
  expect(text.replace(/\s+/g, "")).toContain(HOSTILE_DEVICE.replace(/\s+/g, ""));

  // Share with a technician on the list.
  await page.getByRole("button", { name: "Share" }).click();
  await page.getByRole("button", { name: "Technicians" }).click();
  await page.getByRole("option", { name: "tech@acme-demo.example" }).click();
  await page.keyboard.press("Escape");
  await expectAccessible(page, "share dialog");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByText("Sent to tech@acme-demo.example.")).toBeVisible();
  expect(seen.dialogs).toEqual([]);
});
