// Vite build of the web UI: Preact through esbuild's automatic JSX runtime (no preset), relative
// asset URLs (`base: "./"`) so the same dist/ is served by the emulator at / and by `kfp-ts ui`, one
// hashed JS and one CSS file under assets/, nothing loaded from elsewhere.
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  resolve: { conditions: ["browser", "module", "import", "default"] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
