// The bare-Node baseline of the CLI benchmark: the same request as a one-shot CLI command, with undici
// and nothing else. `list URL` (GET the pipelines), `create URL NAME FILE` (multipart upload), `help`.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { FormData, request } from "undici";

const [mode, url, name, file] = process.argv.slice(2);
if (mode === "help") {
  process.stdout.write("usage: cli-undici.mjs list URL | create URL NAME FILE | help\n");
} else if (mode === "list") {
  const res = await request(`${url}/apis/v2beta1/pipelines`);
  process.stdout.write(`${await res.body.text()}\n`);
  if (res.statusCode !== 200) process.exitCode = 1;
} else if (mode === "create") {
  const form = new FormData();
  form.append("uploadfile", new Blob([readFileSync(file)]), basename(file));
  const res = await request(`${url}/apis/v2beta1/pipelines/upload?name=${encodeURIComponent(name)}`, {
    method: "POST",
    body: form,
  });
  process.stdout.write(`${await res.body.text()}\n`);
  if (res.statusCode !== 200) process.exitCode = 1;
} else {
  process.stderr.write("usage: cli-undici.mjs list URL | create URL NAME FILE | help\n");
  process.exitCode = 2;
}
