// Publish from CI: one command per commit, safe to re-run. The pipeline is created when missing; a new
// version is added only when the package changed (its name defaults to <pipeline>-<hash of the spec>).
//   KFP_HOST=... PIPELINE_NAME=word-count GIT_SHA=$(git rev-parse --short HEAD) npx tsx publish-from-ci.ts
import { ConflictError, fromPath, Kfp, ValidationError } from "kfp-ts";

const name = process.env.PIPELINE_NAME ?? "word-count";
const sha = process.env.GIT_SHA; // optional: name the version after the commit

const kfp = new Kfp(); // KFP_HOST; KFP_TOKEN or KF_PIPELINES_SA_TOKEN_PATH when the cluster needs auth
try {
  const result = await kfp.pipelines.publish(name, fromPath("word-count.yaml"), {
    description: "Counts the distinct words of a text",
    ...(sha ? { version_name: `${name}-${sha}`, code_source_url: `https://example.com/commit/${sha}` } : {}),
    version_tags: { ci: "true" },
  });
  const what = result.created ? "new version" : "already published";
  console.log(
    `${what}: ${result.pipeline.name} ${result.version.name} (${result.version.pipeline_version_id})`,
  );
} catch (err) {
  if (err instanceof ValidationError) {
    // The package is invalid: the message is the one the server would give.
    console.error(`invalid package: ${err.message}`);
  } else if (err instanceof ConflictError) {
    // version_name is taken by a different package.
    console.error(err.message);
  } else {
    throw err;
  }
  process.exitCode = 1;
} finally {
  await kfp.close();
}
