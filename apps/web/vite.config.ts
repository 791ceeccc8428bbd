import react from "@vitejs/plugin-react";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/**
 * Vite builds the app into `dist/`, which the Courier server serves at `/`. In `vite dev` the API
 * and the WebSocket are proxied to a Courier on :3000 (`npm start`), so the app always talks to
 * its own origin. Vitest runs the component and storage tests in jsdom.
 */
const courier = process.env.COURIER_URL ?? "http://localhost:3000";

export default defineConfig({
  plugins: [react(), assetManifest()],
  define: { __COURIER_BUILD__: JSON.stringify(Date.now().toString(36)) },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      "/api": courier,
      "/ws": { target: courier.replace(/^http/, "ws"), ws: true },
    },
  },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.{ts,tsx}"],
    setupFiles: ["test/setup.ts"],
    // Generous: the machine is shared with other suites, and jsdom plus user-event slow down
    // a lot under load (5 s, the default, was hit at a load average of 11 on 2 cores).
    testTimeout: 20_000,
  },
});

/** Writes `asset-manifest.json`: the built files the service worker precaches at install. */
function assetManifest(): Plugin {
  return {
    name: "courier-asset-manifest",
    apply: "build",
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((file) => !file.endsWith(".map"));
      this.emitFile({
        type: "asset",
        fileName: "asset-manifest.json",
        source: JSON.stringify(files.filter((f) => f !== "index.html")),
      });
    },
  };
}
