/**
 * What commands read from the user: a pipeline package (a file, or `-` for stdin), run parameters
 * (`key=value` arguments and `--params-file`), tags. Problems are usage errors that name what to fix.
 */
import { createReadStream, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename } from "node:path";
import { Transform } from "node:stream";
import type { CliContext } from "./context.js";
import { usageError } from "./exit-codes.js";
import { duration } from "./output.js";

/** 32 MiB: the server's upload limit. */
const MAX_PACKAGE = 32 * 1024 * 1024;
/** Files from this size up show a progress bar on a terminal. */
const PROGRESS_FROM = 1024 * 1024;

export interface PackageInput {
  /** In-memory bytes (stdin and small files), or a stream that reports progress (big files on a TTY). */
  source: Buffer | NodeJS.ReadableStream;
  filename: string;
  /** The bytes, when read (for parameter types); undefined for a streamed file. */
  bytes: Buffer | undefined;
  size: number;
}

async function readStdin(ctx: CliContext): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.io.stdin) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_PACKAGE) throw usageError(`the package on stdin is over 32 MiB, the server's limit`);
    chunks.push(b);
  }
  if (size === 0) throw usageError('no pipeline package on stdin ("-" reads the package from stdin)');
  return Buffer.concat(chunks);
}

/** Filename the server sees for stdin: by the content (zip, gzip or YAML/JSON text). */
function stdinName(bytes: Buffer): string {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return "pipeline.zip";
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return "pipeline.tar.gz";
  return "pipeline.yaml";
}

function progressStream(ctx: CliContext, size: number, label: string): Transform {
  const started = Date.now();
  let sent = 0;
  let last = 0;
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const draw = (done: boolean) => {
    const secs = Math.max(0.001, (Date.now() - started) / 1000);
    const width = 24;
    const filled = Math.round((sent / size) * width);
    const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
    ctx.io.stderr.write(
      `\r${label} ${bar} ${mib(sent)} / ${mib(size)}  ${mib(sent / secs)}/s${done ? `  ${duration(secs * 1000)}\n` : ""}`,
    );
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sent += chunk.length;
      const now = Date.now();
      if (now - last > 100) {
        last = now;
        draw(false);
      }
      cb(null, chunk);
    },
    flush(cb) {
      draw(true);
      cb();
    },
  });
}

/** Read a package argument: a path, or `-` for stdin. Nothing is sent when it is missing or too big. */
export async function readPackage(ctx: CliContext, file: string): Promise<PackageInput> {
  if (file === "-") {
    const bytes = await readStdin(ctx);
    return { source: bytes, filename: stdinName(bytes), bytes, size: bytes.length };
  }
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile())
      throw usageError(
        `${file} is not a file: give the path of a pipeline package (YAML, JSON, zip or tar.gz)`,
      );
    size = st.size;
  } catch (err) {
    if ((err as { exitCode?: number }).exitCode !== undefined) throw err;
    throw usageError(
      `cannot read the package ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`,
    );
  }
  if (size > MAX_PACKAGE) {
    throw usageError(`${file} is ${size} bytes, over 32 MiB (the server's limit): nothing was sent`);
  }
  const filename = basename(file);
  if (size >= PROGRESS_FROM && ctx.io.stderrTTY && !ctx.quiet && ctx.output !== "json") {
    const stream = createReadStream(file).pipe(progressStream(ctx, size, `Uploading ${filename}`));
    return { source: stream, filename, bytes: undefined, size };
  }
  const bytes = readFileSync(file);
  return { source: bytes, filename, bytes, size };
}

/** `key=value` pairs (repeatable); a key may not be empty, and `=` is required. */
export function parsePairs(pairs: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw usageError(`${what} must be key=value; got "${p}"`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/** A JSON or YAML file of parameter name → value (values keep their types). */
export function readParamsFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw usageError(`cannot read --params-file ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      value = (createRequire(import.meta.url)("yaml") as typeof import("yaml")).parse(text);
    } catch (err) {
      throw usageError(
        `--params-file ${file} is neither JSON nor YAML: ${(err as Error).message.split("\n")[0]}`,
      );
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw usageError(`--params-file ${file} must hold a mapping of parameter name → value`);
  }
  return value as Record<string, unknown>;
}

/**
 * A `key=value` string as the type the pipeline declares: integers, doubles, booleans, and JSON for
 * lists and structs. An unknown type or parameter keeps the string (the library then names the problem).
 */
export function coerceParameter(name: string, value: string, type: string | undefined): unknown {
  const bad = (expected: string) =>
    usageError(`parameter ${name}: "${value}" is not ${expected} (the pipeline declares ${type})`);
  switch (type) {
    case "NUMBER_INTEGER": {
      if (!/^[-+]?\d+$/.test(value.trim())) throw bad("an integer");
      return Number(value);
    }
    case "NUMBER_DOUBLE": {
      const n = Number(value);
      if (value.trim() === "" || !Number.isFinite(n)) throw bad("a number");
      return n;
    }
    case "BOOLEAN": {
      const v = value.trim().toLowerCase();
      if (v === "true") return true;
      if (v === "false") return false;
      throw bad("true or false");
    }
    case "LIST":
    case "STRUCT": {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        throw bad(type === "LIST" ? "a JSON list" : "a JSON object");
      }
      return parsed;
    }
    default:
      return value;
  }
}
