/**
 * Every program in packages/kfp-ts/examples is type-checked against the built package's types
 * (skipLibCheck off), compiled, and run with node as a user would run it, against an emulator: each
 * reads KFP_HOST.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { ROOT } from "../helpers/build.js";

const EXAMPLES = path.join(ROOT, "packages/kfp-ts/examples");
const TSC = path.join(ROOT, "node_modules/typescript/bin/tsc");

let out: string;
let emu: Emulator;
let multi: Emulator;
let files: Server;
let filesUrl: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a compiled example with `node`, in the examples folder (they read word-count.yaml from there). */
function runExample(name: string, env: Record<string, string>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(out, `${name}.js`)], {
      cwd: EXAMPLES,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function ok(r: Result): string {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  // dist/ is built by vitest's global setup (test/helpers/build.ts).
  out = await mkdtemp(path.join(tmpdir(), "kfp-ts-examples-"));
  // The compiled examples import "kfp-ts" as a user's program does: the package, through node_modules.
  await mkdir(path.join(out, "node_modules"));
  await symlink(path.join(ROOT, "packages/kfp-ts"), path.join(out, "node_modules/kfp-ts"), "dir");
  const tsc = spawnSync(
    process.execPath,
    [TSC, "-p", path.join(EXAMPLES, "tsconfig.json"), "--noEmit", "false", "--outDir", out],
    { encoding: "utf8", timeout: 120_000 },
  );
  if (tsc.status !== 0) throw new Error(`the examples do not compile:\n${tsc.stdout}${tsc.stderr}`);
  emu = await startEmulator({ lifecycle: { tickMs: 10, podTicks: 5 } });
  multi = await startEmulator({
    lifecycle: { tickMs: 10, podTicks: 5 },
    multiUser: { users: { "alice@example.com": { namespaces: ["team-a"], tokens: ["alice-token"] } } },
  });
  const yaml = readFileSync(path.join(EXAMPLES, "word-count.yaml"));
  files = createServer((req, res) => {
    if (req.url === "/packages/word-count.yaml")
      res.writeHead(200, { "content-type": "text/yaml" }).end(yaml);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => files.listen(0, "127.0.0.1", r));
  const addr = files.address();
  if (addr === null || typeof addr === "string") throw new Error("no port");
  filesUrl = `http://127.0.0.1:${addr.port}`;
}, 240_000);

afterAll(async () => {
  await emu?.close();
  await multi?.close();
  if (files) await new Promise((r) => files.close(r));
  if (out) await rm(out, { recursive: true, force: true });
});

describe("the READMEs' first program", () => {
  it.each(["README.md", "packages/kfp-ts/README.md"])("%s shows examples/quickstart.ts as it is", (file) => {
    const readme = readFileSync(path.join(ROOT, file), "utf8");
    const section = readme.slice(readme.indexOf("## First program"));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBe(readFileSync(path.join(EXAMPLES, "quickstart.ts"), "utf8"));
    expect(readme).toContain("npm install kfp-ts");
  });
});

describe("examples", () => {
  it("quickstart: publishes once, runs, and is unchanged when run again", async () => {
    const first = ok(await runExample("quickstart", { KFP_HOST: emu.url }));
    expect(first).toMatch(/^published: hello-kfp-ts \/ hello-kfp-ts-[0-9a-f]{12}$/m);
    expect(first).toMatch(/^run \S+ ended SUCCEEDED$/m);
    const again = ok(await runExample("quickstart", { KFP_HOST: emu.url }));
    expect(again).toMatch(/^unchanged: hello-kfp-ts \/ hello-kfp-ts-[0-9a-f]{12}$/m);
  });

  it("publish-from-ci: a new version per commit, nothing on a re-run", async () => {
    const env = { KFP_HOST: emu.url, PIPELINE_NAME: "ci-words", GIT_SHA: "abc1234" };
    expect(ok(await runExample("publish-from-ci", env))).toMatch(
      /^new version: ci-words ci-words-abc1234 \(\S+\)$/m,
    );
    expect(ok(await runExample("publish-from-ci", env))).toMatch(
      /^already published: ci-words ci-words-abc1234 \(\S+\)$/m,
    );
  });

  it("run-and-wait: progress lines, then the final state and the task tree", async () => {
    const text = ok(await runExample("run-and-wait", { KFP_HOST: emu.url }));
    expect(text).toMatch(/^started run \S+$/m);
    expect(text).toMatch(/^\d+s (PENDING|RUNNING|SUCCEEDED)/m);
    expect(text).toMatch(/^run \S+: SUCCEEDED$/m);
    expect(text).toMatch(/count-words/);
  });

  it("list-filter-paging: one page, every matching item, page by page", async () => {
    const text = ok(await runExample("list-filter-paging", { KFP_HOST: emu.url }));
    expect(text).toMatch(/^\d+ pipelines; newest: \S/m);
    const matching = Number(/^(\d+) matching runs$/m.exec(text)?.[1]);
    expect(matching).toBeGreaterThanOrEqual(1); // run-and-wait's run is named "word-count ..."
    expect(text).toMatch(/^walked [1-3] page\(s\) of finished runs$/m);
    expect(text).toMatch(/^\d+ versions of the newest pipeline$/m);
  });

  it("multi-user-token-file: acts in its namespace with the token from the file", async () => {
    const tokenFile = path.join(out, "token");
    writeFileSync(tokenFile, "alice-token\n");
    const text = ok(
      await runExample("multi-user-token-file", {
        KFP_HOST: multi.url,
        KFP_TOKEN_FILE: tokenFile,
        KFP_NAMESPACE: "team-a",
      }),
    );
    expect(text).toMatch(/multi-user: true$/m);
    expect(text).toMatch(/^experiment examples in team-a$/m);
    expect(text).toMatch(/^0 runs in it$/m);
    expect(text).toMatch(/^no access to team-a-shared: /m);
  });

  it("upload-stream-and-http: a file stream and an HTTP response body", async () => {
    const text = ok(
      await runExample("upload-stream-and-http", {
        KFP_HOST: emu.url,
        PIPELINE_URL: `${filesUrl}/packages/word-count.yaml`,
      }),
    );
    const id = /^pipeline word-count-stream-\S+ \((\S+)\)$/m.exec(text)?.[1];
    expect(id).toBeDefined();
    expect(text).toMatch(
      /^version from-http-\S+ from http:\/\/127\.0\.0\.1:\d+\/packages\/word-count\.yaml$/m,
    );
  });

  it("retries-timeouts: a 503 on the way is retried; the calls succeed", async () => {
    const [fault] = emu.faults.add({
      method: "GET",
      path: "^/apis/v2(beta1)?/experiments$",
      action: "unavailable",
      times: 1,
      retryAfter: 0,
    });
    const text = ok(await runExample("retries-timeouts", { KFP_HOST: emu.url }));
    expect(text).toMatch(/^\d+ experiments$/m);
    expect(text).toMatch(/^\d+ runs$/m);
    expect(emu.faults.list().find((f) => f.id === fault?.id)?.fired).toBe(1);
  });
});
