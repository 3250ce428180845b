import { defineConfig } from "vitest/config";

export default defineConfig({
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
