/**
 * Things a test needs from outside the repository (../shared's pipelines and swagger, openssl). On a
 * developer's machine a missing one skips the tests that need it; with `CI` set it is an error instead,
 * so the test file fails to load and the run fails: CI never passes by skipping.
 */
export function needs(present: boolean, what: string): boolean {
  if (!present && process.env.CI) {
    throw new Error(
      `CI is set and ${what} is missing: the tests that need it would be skipped. Provide it (see COMMON.md: ../shared resolves from the repository's parent) or unset CI to skip them locally.`,
    );
  }
  return present;
}
