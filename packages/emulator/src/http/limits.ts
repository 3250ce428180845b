/**
 * The emulator's input limits, in one place (README "Limits"). Each limit is a named constant and a
 * breach is a clear 4xx in the endpoint's error shape, never a crash, a hang or a stored record that
 * a later read cannot serve.
 *
 * Byte ceilings follow the newest upstream server (`common/size_limits.go`, FACTS.md §9): named
 * controls, each reported as InvalidArgument with `<Label> size too large: exceeds maximum <N> bytes
 * (<MiB> MiB). <advice> or ask an administrator to adjust <ENV> within its supported range.`
 * The other limits (nesting depth, part and member counts, time) are the emulator's own guards: the
 * real server's are looser (protojson's recursion limit is 10 000) or absent.
 */
import { type ApiError, gatewayInvalid, invalidInput } from "./errors.js";

const MiB = 1 << 20;

/** Request body (JSON endpoints) and multipart upload: 32 MiB (`common.MaxFileLength`). */
export const MAX_REQUEST_BODY_BYTES = 32 * MiB;
/** Uploaded or downloaded pipeline package (`pipeline_upload`). */
export const MAX_UPLOAD_BYTES = 32 * MiB;
/** Extracted pipeline spec (`pipeline_spec` / `pipeline_decompressed_spec`). */
export const MAX_SPEC_BYTES = 32 * MiB;
/** Bytes read while walking an archive before the spec entry (`pipeline_archive_traversal`). */
export const MAX_ARCHIVE_TRAVERSAL_BYTES = MAX_SPEC_BYTES + MiB;
/** Members of a .zip or .tar.gz package (the emulator's own guard). */
export const MAX_ARCHIVE_MEMBERS = 10_000;
/** Nesting depth of any JSON or YAML input: bodies, packages, plugins_input, parameters, filters, tokens. */
export const MAX_NESTING_DEPTH = 256;
/** Parts of a multipart body, and the size of one non-file field. */
export const MAX_MULTIPART_PARTS = 100;
export const MAX_MULTIPART_FIELD_BYTES = 1 * MiB;
/** Request line + headers: Go's `http.DefaultMaxHeaderBytes`. */
export const MAX_HEADER_BYTES = 1 * MiB;
/** Time budget of one request's handler (the answer is then a 504 DEADLINE_EXCEEDED). */
export const REQUEST_TIME_BUDGET_MS = 60_000;
/** Time to receive a whole request (node's `requestTimeout`); slower clients get a 408. */
export const REQUEST_RECEIVE_TIMEOUT_MS = 120_000;
/** Control endpoint bodies (`/_emulator/*`). */
export const MAX_CONTROL_BODY_BYTES = 1 * MiB;

/** The upstream setting named in a size-limit message. */
export const SIZE_SETTINGS = {
  pipeline_upload: "MAX_PIPELINE_UPLOAD_BYTES",
  pipeline_spec: "MAX_PIPELINE_SPEC_BYTES",
  pipeline_decompressed_spec: "MAX_PIPELINE_SPEC_BYTES",
  pipeline_archive_traversal: "MAX_PIPELINE_SPEC_BYTES",
  pipeline_update_body: "MAX_PIPELINE_UPDATE_BODY_BYTES",
} as const;
export type SizeControl = keyof typeof SIZE_SETTINGS;

/** `SizeLimitErrorMessage` of upstream `common/size_limits.go`. */
export function sizeLimitMessage(control: SizeControl, limit: number): string {
  let label = "Request body";
  let advice = "Reduce the payload";
  if (control === "pipeline_upload") {
    label = "File";
    advice =
      "Move large embedded artifacts, notebooks, or Python code into a container image or object store, or reduce the package";
  } else if (control === "pipeline_spec") label = "Pipeline spec file";
  else if (control === "pipeline_decompressed_spec") label = "Decompressed file";
  else if (control === "pipeline_archive_traversal") {
    label = "Archive extraction traversal budget";
    advice =
      "Reduce archive entries and metadata; the traversal budget is derived from the pipeline spec limit";
  }
  return `${label} size too large: exceeds maximum ${limit} bytes (${(limit / MiB).toFixed(2)} MiB). ${advice} or ask an administrator to adjust ${SIZE_SETTINGS[control]} within its supported range.`;
}

/** A size-limit breach as upstream's `NewSizeLimitError`: InvalidArgument (400). */
export class SizeLimitError extends Error {
  constructor(
    readonly control: SizeControl,
    readonly limit: number,
  ) {
    super(sizeLimitMessage(control, limit));
    this.name = "SizeLimitError";
  }

  toApiError(): ApiError {
    return invalidInput(this.message);
  }
}

/** A nesting-depth breach; `where` names the input ("request body", "pipeline spec", ...). */
export function depthMessage(where: string): string {
  return `${where} is nested deeper than ${MAX_NESTING_DEPTH} levels; flatten it`;
}

export interface JsonTextCheck {
  /** 1-based line and column of the offending token. */
  line: number;
  column: number;
  problem: "depth" | "duplicate";
  /** The duplicated key, for `duplicate`. */
  key?: string;
}

/**
 * One pass over JSON text, before `JSON.parse`: the nesting depth (≤ MAX_NESTING_DEPTH) and duplicate
 * keys in any object (protojson rejects a repeated message field and a repeated map key, and a Struct
 * is a map). Returns the first problem, or undefined; malformed JSON is left to `JSON.parse`.
 */
export function scanJsonText(text: string, maxDepth = MAX_NESTING_DEPTH): JsonTextCheck | undefined {
  // Per open container: the keys seen (objects) or null (arrays).
  const stack: (Set<string> | null)[] = [];
  let line = 1;
  let lineStart = 0;
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = i + 1;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      stack.push(c === 123 ? new Set() : null);
      if (stack.length > maxDepth) return { line, column: i - lineStart + 1, problem: "depth" };
      expectKey = c === 123;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 44 /* , */) {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
    } else if (c === 34 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) {
          escaped = true;
          i++;
        } else if (d === 34) break;
      }
      if (expectKey) {
        expectKey = false;
        const keys = stack[stack.length - 1];
        if (keys) {
          let key = text.slice(start + 1, i);
          if (escaped) {
            try {
              key = JSON.parse(text.slice(start, i + 1)) as string;
            } catch {
              return undefined; // malformed: JSON.parse reports it
            }
          }
          if (keys.has(key)) return { line, column: start - lineStart + 1, problem: "duplicate", key };
          keys.add(key);
        }
      }
    }
  }
  return undefined;
}

/**
 * `JSON.parse` for a request body or a JSON-in-text input (filters, page tokens, tags): throws a 400
 * gateway error for too deep nesting or a duplicate key (protojson: `duplicate field`).
 */
export function checkJsonText(text: string, where: string): void {
  const problem = scanJsonText(text);
  if (!problem) return;
  const pos = `(line ${problem.line}:${problem.column})`;
  if (problem.problem === "depth") throw gatewayInvalid(`proto: ${pos}: ${depthMessage(where)}`);
  throw gatewayInvalid(`proto: ${pos}: duplicate field "${problem.key}"`);
}

/** Nesting depth of a parsed value, without recursion; stops counting past `max`. */
export function valueDepth(value: unknown, max = MAX_NESTING_DEPTH): number {
  let deepest = 0;
  const todo: [unknown, number][] = [[value, 1]];
  let visited = 0;
  while (todo.length > 0) {
    const [v, d] = todo.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (d > deepest) deepest = d;
    if (deepest > max) return deepest;
    if (++visited > 5_000_000) break;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") todo.push([child, d + 1]);
    }
  }
  return deepest;
}

/**
 * An upper bound on the nesting depth of YAML text, before it is parsed: open flow brackets (outside
 * quoted scalars and comments) plus the block indentation levels in force. Block scalars (`|`, `>`)
 * count their content as one level, so embedded code cannot inflate the figure.
 */
export function yamlTextDepth(text: string, max = MAX_NESTING_DEPTH): number {
  const indents: number[] = [];
  let flow = 0;
  let deepest = 0;
  let blockScalarIndent = -1;
  const lines = text.split("\n");
  for (const raw of lines) {
    const trimmed = raw.trimStart();
    const indent = raw.length - trimmed.length;
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    if (blockScalarIndent >= 0) {
      if (indent > blockScalarIndent) continue;
      blockScalarIndent = -1;
    }
    if (flow === 0) {
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
      // `- - - x`: each sequence marker opens a level.
      let rest = trimmed;
      while (/^-(\s|$)/.test(rest)) {
        indents.push(indent + (trimmed.length - rest.length) + 1);
        rest = rest.slice(1).trimStart();
      }
    }
    let quote = 0;
    for (let i = 0; i < trimmed.length; i++) {
      const c = trimmed.charCodeAt(i);
      if (quote !== 0) {
        if (c === 92 && quote === 34) i++;
        else if (c === quote) quote = 0;
        continue;
      }
      const prev = i === 0 ? 32 : trimmed.charCodeAt(i - 1);
      const atTokenStart =
        prev === 32 || prev === 9 || prev === 91 || prev === 123 || prev === 44 || prev === 58;
      if ((c === 34 || c === 39) && atTokenStart) quote = c;
      else if (c === 35 /* # */ && (prev === 32 || prev === 9)) break;
      else if ((c === 91 || c === 123) && (flow > 0 || atTokenStart)) {
        flow++;
        if (indents.length + flow > deepest) deepest = indents.length + flow;
        if (deepest > max) return deepest;
      } else if ((c === 93 || c === 125) && flow > 0) flow--;
      else if (
        flow === 0 &&
        (c === 124 || c === 62) &&
        atTokenStart &&
        /^[|>][-+0-9]*\s*(#.*)?$/.test(trimmed.slice(i))
      ) {
        blockScalarIndent = indent;
        break;
      }
    }
    const depth = indents.length + flow;
    if (depth > deepest) deepest = depth;
    if (deepest > max) return deepest;
  }
  return deepest;
}

/** Throws a 400 (`invalidInput`) when a parsed value (plugins_input, parameters, a spec) nests too deep. */
export function checkValueDepth(value: unknown, where: string): void {
  if (valueDepth(value) > MAX_NESTING_DEPTH) throw invalidInput(depthMessage(where));
}
