/** Small pipeline packages for tests, and access to the shared corpus. */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { needs } from "./needs.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const sharedPipelines = path.resolve(repoRoot, "../shared/kfp-api/pipelines");
export const hasShared = needs(existsSync(sharedPipelines), sharedPipelines);

/** A minimal valid package (what the KFP compiler writes for a one-step pipeline). */
export function specYaml(name = "echo", extra = ""): string {
  return `# PIPELINE DEFINITION
# Name: ${name}
components:
  comp-echo:
    executorLabel: exec-echo
deploymentSpec:
  executors:
    exec-echo:
      container:
        args:
        - hello world${extra}
        command:
        - echo
        image: python:3.12
pipelineInfo:
  name: ${name}
root:
  dag:
    tasks:
      echo:
        cachingOptions:
          enableCache: true
        componentRef:
          name: comp-echo
        taskInfo:
          name: echo
schemaVersion: 2.1.0
sdkVersion: kfp-2.13.0
`;
}

/** The same spec as an object. */
export function specObject(name = "echo", extra = ""): Record<string, unknown> {
  return {
    components: { "comp-echo": { executorLabel: "exec-echo" } },
    deploymentSpec: {
      executors: {
        "exec-echo": {
          container: { args: [`hello world${extra}`], command: ["echo"], image: "python:3.12" },
        },
      },
    },
    pipelineInfo: { name },
    root: {
      dag: {
        tasks: {
          echo: {
            cachingOptions: { enableCache: true },
            componentRef: { name: "comp-echo" },
            taskInfo: { name: "echo" },
          },
        },
      },
    },
    schemaVersion: "2.1.0",
    sdkVersion: "kfp-2.13.0",
  };
}

/** All files under a folder of the shared corpus (recursive), or [] when absent. */
export function corpusFiles(sub: string, filter: (f: string) => boolean = () => true): string[] {
  const root = path.join(sharedPipelines, sub);
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (filter(p)) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

/** A minimal ustar archive. */
export function makeTar(files: [string, string][]): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of files) {
    const data = Buffer.from(content);
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write("0000644\0", 100);
    h.write("0000000\0", 108);
    h.write("0000000\0", 116);
    h.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
    h.write("00000000000\0", 136);
    h.write("        ", 148);
    h.write("0", 156);
    h.write("ustar\0", 257);
    h.write("00", 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
