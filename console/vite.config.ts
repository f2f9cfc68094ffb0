import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The console is served as files under a Content-Security-Policy without inline script: Vite's build emits
// only external module scripts (no inline loader), and assets stay files (no data: URLs for scripts).
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", assetsInlineLimit: 0, sourcemap: false, chunkSizeWarningLimit: 4000 },
  test: { environment: "jsdom", include: ["src/**/*.test.{ts,tsx}"] },
});
