import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Tests import the library's sources: "kfp-ts-source" makes the package's `#platform` import
// (packages/kfp-ts/package.json "imports") resolve to src/platform/*.ts instead of dist/.
const conditions = ["kfp-ts-source", ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/interop/**", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Builds both packages first when a source is newer than dist/ (tests run the CLI and the examples).
    globalSetup: ["test/helpers/build.ts"],
    reporters: ["default"],
  },
});
