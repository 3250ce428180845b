// The first program: publish a pipeline, start a run, wait for it.
// Run it from this folder: KFP_HOST=http://localhost:8888 npx tsx quickstart.ts
import { fromPath, Kfp } from "kfp-ts";

const kfp = new Kfp(); // reads KFP_HOST (or pass { host: "http://localhost:8888" })

// Create the pipeline "hello-kfp-ts", or add a version if this package is new; re-running changes nothing.
const { pipeline, version, created } = await kfp.pipelines.publish(
  "hello-kfp-ts",
  fromPath("word-count.yaml"),
);
console.log(`${created ? "published" : "unchanged"}: ${pipeline.name} / ${version.name}`);

const run = await kfp.runs.create({
  display_name: "hello",
  pipeline_id: pipeline.pipeline_id,
  pipeline_version_id: version.pipeline_version_id,
  parameters: { report_title: "hello from kfp-ts" }, // checked against the pipeline's inputs first
});
const done = await kfp.runs.wait(run.run_id, { timeout: 10 * 60_000 });
console.log(`run ${done.run_id} ended ${done.state}`);
await kfp.close();
