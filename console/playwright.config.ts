import { defineConfig } from "@playwright/test";

// Runs against a local stack started by scripts/console-test.sh (odt-local up --hostile-names), whose
// front.json path is in ODT_FRONT_JSON. Chromium is the machine's (Debian's `chromium`): Playwright does not
// download browsers here.
export default defineConfig({
  testDir: "e2e",
  timeout: 120_000,
  expect: { timeout: 15_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [["list"]],
  use: {
    headless: true,
    viewport: { width: 1280, height: 860 },
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] },
    acceptDownloads: true,
    trace: "off",
  },
});
