// Uploads from a stream: a file read as it is sent, and the body of an HTTP response (a package kept in
// an artifact store) passed on without holding it in memory. Streams are checked by the server, so the
// part's filename tells it YAML from JSON.
//   KFP_HOST=... PIPELINE_URL=https://artifacts.example.com/word-count.yaml npx tsx upload-stream-and-http.ts
import { createReadStream } from "node:fs";
import { Kfp } from "kfp-ts";

const kfp = new Kfp();
const suffix = Date.now().toString(36);

// 1. A Node stream: a new pipeline (its first version is named like it).
const pipeline = await kfp.pipelines.upload(createReadStream("word-count.yaml"), {
  name: `word-count-stream-${suffix}`,
  filename: "word-count.yaml",
  description: "uploaded from a file stream",
});
console.log(`pipeline ${pipeline.name} (${pipeline.pipeline_id})`);

// 2. The body of an HTTP response (a web ReadableStream): a second version of that pipeline.
const url = process.env.PIPELINE_URL;
if (url) {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`GET ${url}: ${res.status} ${res.statusText}`);
  const version = await kfp.pipelines.versions.upload(pipeline.pipeline_id, res.body, {
    name: `from-http-${suffix}`,
    filename: new URL(url).pathname.split("/").pop() || "pipeline.yaml",
    maxSize: 32 * 1024 * 1024, // stop reading a runaway response past the server's limit
  });
  console.log(`version ${version.name} from ${url}`);
} else {
  console.log("set PIPELINE_URL to also upload a package from an HTTP response");
}
await kfp.close();
