import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

/**
 * The dashboard is built into dist/dashboard and served by the gateway; no CDN, everything ships. Preact's JSX
 * runtime (tsconfig `jsxImportSource`) keeps the whole app far below the 300 KB gzipped budget
 * (test/e2e/dashboard-size.test.ts).
 */
export default defineConfig({
  root: here,
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: `${here}../dist/dashboard`,
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: false,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8080" } },
});
