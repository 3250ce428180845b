// Start a run and follow it: progress lines while it runs, the failed tasks when it fails, Ctrl+C to stop
// waiting (the run goes on; `kfp.runs.terminate(id)` would stop it).
//   KFP_HOST=... npx tsx run-and-wait.ts
import { formatTaskTree, fromPath, Kfp, RunFailedError, RunWaitTimeoutError } from "kfp-ts";

const kfp = new Kfp();
const { pipeline, version } = await kfp.pipelines.publish("word-count", fromPath("word-count.yaml"));

const stop = new AbortController();
process.once("SIGINT", () => stop.abort());

const run = await kfp.runs.create({
  display_name: `word-count ${new Date().toISOString()}`,
  experiment_name: "examples", // created when missing
  pipeline_id: pipeline.pipeline_id,
  pipeline_version_id: version.pipeline_version_id,
  parameters: { report_title: "daily words", min_length: 4 },
});
console.log(`started run ${run.run_id}`);

try {
  const done = await kfp.runs.wait(run.run_id, {
    timeout: 30 * 60_000,
    signal: stop.signal,
    onProgress: (p) => console.log(`${Math.round(p.elapsedMs / 1000)}s ${p.summary}`),
  });
  console.log(`run ${done.run_id}: ${done.state}`);
  console.log(formatTaskTree(await kfp.runs.tasks(done.run_id)));
} catch (err) {
  if (err instanceof RunFailedError) {
    console.error(err.message); // names the failed tasks and their messages
    process.exitCode = 1;
  } else if (err instanceof RunWaitTimeoutError) {
    console.error(`still ${err.lastState} after 30 minutes`);
    process.exitCode = 2;
  } else {
    throw err;
  }
} finally {
  process.removeAllListeners("SIGINT");
  await kfp.close();
}
