/**
 * The official swagger (OpenAPI 2.0) files in ../shared/kfp-api/spec as a contract checker.
 *
 * - Every `*.swagger.json` of a version folder is merged (paths and definitions).
 * - Schemas are converted for ajv: `#/definitions/X` refs resolve inside one registered schema;
 *   a message (an object with `properties` and no `additionalProperties`) is CLOSED — an unknown key is
 *   an error, which is how protojson treats it on input and what it never emits on output; an object
 *   with no `properties` (google.protobuf.Struct) or with `additionalProperties` (a map) stays open.
 * - Formats: `int64`/`uint64` are JSON strings of digits in responses (FACTS.md §2.1) and a string or an
 *   integer in requests (protojson accepts both); `int32` is an integer; `date-time` in responses is the
 *   server's whole-second UTC form `YYYY-MM-DDTHH:MM:SSZ`, in requests any RFC 3339 date-time; `byte`
 *   is standard base64.
 * - Documented differences between the swagger and the real server (FACTS.md §3.4, §10) are applied as
 *   patches, each named in KNOWN_SWAGGER_GAPS: healthz also returns `commit_sha`/`tag_name`, and the
 *   plain upload handlers answer errors with `{error_message, error_details}` (or plain text), not
 *   `googleRpcStatus`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { needs } from "../helpers/needs.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const specRoot = path.resolve(repoRoot, "../shared/kfp-api/spec");
export const specAvailable = needs(
  existsSync(path.join(specRoot, "v2beta1")),
  `the swagger files in ${specRoot}`,
);

export type SpecVersion = "v1beta1" | "v2beta1" | "v2";
export type Mode = "request" | "response";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type SchemaObj = { [k: string]: any };

export interface SwaggerParam {
  name: string;
  in: "query" | "path" | "body" | "formData" | "header";
  type?: string;
  format?: string;
  enum?: string[];
  required?: boolean;
  items?: SchemaObj;
  collectionFormat?: string;
  schema?: SchemaObj;
}

export interface SwaggerOperation {
  version: SpecVersion;
  method: string; // upper case
  template: string; // e.g. /apis/v2beta1/runs/{run_id}:archive
  operationId: string;
  params: SwaggerParam[];
  /** 200 response schema. */
  ok?: SchemaObj;
  /** `default` (error) response schema. */
  error?: SchemaObj;
  /** Plain HTTP handler upstream (upload, healthz): not behind grpc-gateway. */
  plain: boolean;
  segments: string[];
  verb: string | undefined;
}

/** Differences between the swagger and the real server, documented in FACTS.md, applied as patches. */
export const KNOWN_SWAGGER_GAPS = [
  "healthz (v1beta1, v2beta1, v2) also returns commit_sha and tag_name (FACTS.md §10)",
  "upload/upload_version errors are {error_message, error_details} JSON or plain text, not googleRpcStatus (FACTS.md §3.4)",
] as const;

const UPLOAD_ERROR_SCHEMA: SchemaObj = {
  type: "object",
  properties: { error_message: { type: "string" }, error_details: { type: "string" } },
  required: ["error_message"],
  additionalProperties: false,
};

const WHOLE_SECOND_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const INT64 = /^-?\d+$/;
const UINT64 = /^\d+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function splitPath(p: string): { segments: string[]; verb: string | undefined } {
  const segments = p.replace(/^\//, "").split("/");
  let verb: string | undefined;
  const last = segments[segments.length - 1] ?? "";
  const close = last.lastIndexOf("}");
  const colon = last.indexOf(":", close + 1);
  if (colon > 0) {
    verb = last.slice(colon + 1);
    segments[segments.length - 1] = last.slice(0, colon);
  }
  return { segments, verb };
}

const isParam = (s: string) => /^\{[^}]+\}$/.test(s);

function convert(schema: Json, mode: Mode, ns: string): Json {
  if (Array.isArray(schema)) return schema.map((s) => convert(s, mode, ns));
  if (schema === null || typeof schema !== "object") return schema;
  const s = schema as SchemaObj;
  if (typeof s.$ref === "string") {
    return { $ref: s.$ref.replace(/^#\/definitions\//, `${ns}#/definitions/`) };
  }
  const out: SchemaObj = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === "description" || k === "title" || k === "example" || k.startsWith("x-")) continue;
    if (k === "properties") {
      const props: SchemaObj = {};
      for (const [pk, pv] of Object.entries(v as SchemaObj)) props[pk] = convert(pv as Json, mode, ns);
      out.properties = props;
    } else if (k === "items" || k === "additionalProperties") {
      out[k] =
        typeof v === "object" && v !== null && Object.keys(v).length === 0
          ? true
          : convert(v as Json, mode, ns);
    } else if (k === "format") {
      // handled below
    } else if (k === "readOnly" || k === "default") {
      // annotations only
    } else {
      out[k] = v;
    }
  }
  const fmt = s.format as string | undefined;
  if (fmt === "int64" || fmt === "uint64") {
    const re = fmt === "int64" ? INT64 : UINT64;
    if (mode === "response") {
      out.type = "string";
      out.pattern = re.source;
    } else {
      delete out.type;
      out.anyOf = [{ type: "string", pattern: re.source }, { type: "integer" }];
    }
  } else if (fmt === "int32") {
    out.type = "integer";
  } else if (fmt === "double" || fmt === "float") {
    out.type = "number";
  } else if (fmt === "date-time") {
    out.format = mode === "response" ? "kfp-timestamp" : "date-time";
  } else if (fmt === "byte") {
    out.format = "kfp-base64";
  }
  if (out.type === "object" && out.properties && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

function readSwaggerFiles(version: SpecVersion): { paths: SchemaObj; definitions: SchemaObj } {
  // The merged file wins: some per-service files carry stale copies of shared definitions (v1beta1
  // pipeline.upload.swagger.json has an `apiPipeline` without default_version/url/resource_references).
  // The other files only add what the merged file lacks.
  const dir = path.join(specRoot, version);
  const MERGED = "kfp_api_single_file.swagger.json";
  const files = [
    MERGED,
    ...readdirSync(dir)
      .filter((f) => f.endsWith(".swagger.json") && f !== MERGED)
      .sort(),
  ];
  const paths: SchemaObj = {};
  const definitions: SchemaObj = {};
  for (const file of files) {
    const doc = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as SchemaObj;
    for (const [p, ops] of Object.entries((doc.paths ?? {}) as SchemaObj)) {
      paths[p] = { ...(ops as SchemaObj), ...(paths[p] ?? {}) };
    }
    for (const [name, def] of Object.entries((doc.definitions ?? {}) as SchemaObj)) {
      if (!(name in definitions)) definitions[name] = def;
    }
  }
  return { paths, definitions };
}

export interface Violation {
  where: string;
  message: string;
}

function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 5)
    .map((e) => {
      const extra =
        e.keyword === "additionalProperties"
          ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
          : e.keyword === "enum"
            ? ` (${JSON.stringify((e.params as { allowedValues: unknown }).allowedValues).slice(0, 200)})`
            : "";
      return `${e.instancePath || "/"} ${e.message}${extra}`;
    })
    .join("; ");
}

export class Swagger {
  readonly operations: SwaggerOperation[] = [];
  private readonly ajv: Record<Mode, Ajv>;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(readonly version: SpecVersion) {
    const { paths, definitions } = readSwaggerFiles(version);
    // Patches for documented gaps (see KNOWN_SWAGGER_GAPS).
    for (const name of Object.keys(definitions)) {
      if (/GetHealthzResponse$/.test(name)) {
        const def = definitions[name] as SchemaObj;
        definitions[name] = {
          ...def,
          properties: { ...def.properties, commit_sha: { type: "string" }, tag_name: { type: "string" } },
        };
      }
    }
    definitions.kfpUploadError = UPLOAD_ERROR_SCHEMA;

    const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (a: Ajv) => Ajv;
    const make = (mode: Mode) => {
      const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
      addFormats(ajv);
      ajv.addFormat("kfp-timestamp", WHOLE_SECOND_UTC);
      ajv.addFormat("kfp-base64", BASE64);
      const ns = `kfp-${version}-${mode}`;
      const defs: SchemaObj = {};
      for (const [k, v] of Object.entries(definitions)) defs[k] = convert(v as Json, mode, ns);
      ajv.addSchema({ $id: ns, definitions: defs });
      return ajv;
    };
    this.ajv = { request: make("request"), response: make("response") };

    for (const [template, ops] of Object.entries(paths)) {
      for (const [m, op] of Object.entries(ops as SchemaObj)) {
        const o = op as SchemaObj;
        const { segments, verb } = splitPath(template);
        const plain = /\/pipelines\/upload(_version)?$/.test(template) || /\/healthz$/.test(template);
        const ok = o.responses?.["200"]?.schema as SchemaObj | undefined;
        let error = o.responses?.default?.schema as SchemaObj | undefined;
        if (/\/pipelines\/upload(_version)?$/.test(template))
          error = { $ref: "#/definitions/kfpUploadError" };
        this.operations.push({
          version,
          method: m.toUpperCase(),
          template,
          operationId: String(o.operationId ?? ""),
          params: (o.parameters ?? []) as SwaggerParam[],
          ok,
          error,
          plain,
          segments,
          verb,
        });
      }
    }
  }

  /** The operation for a concrete request path (literal segments beat parameters). */
  match(method: string, urlPath: string): SwaggerOperation | undefined {
    const { segments, verb } = splitPath(urlPath);
    let best: { op: SwaggerOperation; score: number } | undefined;
    for (const op of this.operations) {
      if (op.method !== method.toUpperCase()) continue;
      if (op.verb !== verb || op.segments.length !== segments.length) continue;
      let score = 0;
      let ok = true;
      for (let i = 0; i < segments.length; i++) {
        const t = op.segments[i]!;
        if (isParam(t)) {
          if (segments[i] === "") ok = false;
        } else if (t === segments[i]) score++;
        else ok = false;
        if (!ok) break;
      }
      if (ok && (!best || score > best.score)) best = { op, score };
    }
    return best?.op;
  }

  /** Whether some operation has this path with another method. */
  hasPath(urlPath: string): boolean {
    return ["GET", "POST", "PATCH", "PUT", "DELETE"].some((m) => this.match(m, urlPath));
  }

  validate(mode: Mode, schema: SchemaObj, value: unknown): string | undefined {
    const ns = `kfp-${this.version}-${mode}`;
    const key = `${mode}:${JSON.stringify(schema)}`;
    let fn = this.cache.get(key);
    if (!fn) {
      fn = this.ajv[mode].compile(convert(schema as Json, mode, ns) as SchemaObj);
      this.cache.set(key, fn);
    }
    return fn(value) ? undefined : formatErrors(fn.errors);
  }

  /** Check one response; returns a list of problems (empty when it conforms). */
  checkResponse(
    method: string,
    urlPath: string,
    status: number,
    contentType: string,
    body: string,
  ): { op?: SwaggerOperation; problems: string[] } {
    const op = this.match(method, urlPath);
    if (!op) return { problems: [] };
    const problems: string[] = [];
    const isUpload = /\/pipelines\/upload(_version)?$/.test(op.template);
    if (status !== 200 && isUpload && contentType.startsWith("text/plain")) {
      // http.Error plain text (FACTS.md §3.4) or a JSON body sniffed as text/plain; both are real.
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        if (!body.endsWith("\n"))
          problems.push("plain-text upload error must end with a newline (http.Error)");
        return { op, problems };
      }
      const err = this.validate("response", { $ref: "#/definitions/kfpUploadError" }, parsed);
      if (err) problems.push(`upload error body: ${err}`);
      return { op, problems };
    }
    if (!contentType.startsWith("application/json")) {
      problems.push(`content-type ${contentType || "(none)"} is not application/json`);
      return { op, problems };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      problems.push("body is not JSON");
      return { op, problems };
    }
    const schema = status === 200 ? op.ok : op.error;
    if (!schema) {
      problems.push(`no schema for status ${status}`);
      return { op, problems };
    }
    const err = this.validate("response", schema, parsed);
    if (err) problems.push(err);
    return { op, problems };
  }

  /** Check one request made by a client: path, method, query parameters and body. */
  checkRequest(req: {
    method: string;
    path: string;
    query: URLSearchParams;
    contentType: string | undefined;
    body: Buffer;
  }): { op?: SwaggerOperation; problems: string[] } {
    const op = this.match(req.method, req.path);
    if (!op) {
      return {
        problems: [
          this.hasPath(req.path)
            ? `${req.method} is not declared for ${req.path}`
            : `no swagger path matches ${req.method} ${req.path}`,
        ],
      };
    }
    const problems: string[] = [];
    const queryParams = new Map(op.params.filter((p) => p.in === "query").map((p) => [p.name, p]));
    for (const name of new Set(req.query.keys())) {
      const p = queryParams.get(name);
      if (!p) {
        problems.push(`query parameter "${name}" is not declared for ${op.method} ${op.template}`);
        continue;
      }
      const values = req.query.getAll(name);
      if (values.length > 1 && p.type !== "array") problems.push(`query parameter "${name}" repeated`);
      for (const v of values) {
        const bad = checkScalar(p, v);
        if (bad) problems.push(`query parameter "${name}"=${JSON.stringify(v)}: ${bad}`);
      }
    }
    for (const p of op.params) {
      if (p.in === "query" && p.required && !req.query.has(p.name))
        problems.push(`required query "${p.name}" missing`);
    }
    const bodyParam = op.params.find((p) => p.in === "body");
    const formParams = op.params.filter((p) => p.in === "formData");
    if (formParams.length > 0) {
      if (!req.contentType || !/^multipart\/form-data;\s*boundary=/i.test(req.contentType)) {
        problems.push(`expected a multipart/form-data body, got ${req.contentType ?? "none"}`);
      } else {
        const parts = multipartPartHeaders(req.contentType, req.body);
        if (!parts) problems.push("multipart body could not be parsed");
        else {
          const declared = new Set(formParams.map((p) => p.name));
          for (const part of parts) {
            if (!declared.has(part.name)) problems.push(`form part "${part.name}" is not declared`);
            const decl = formParams.find((p) => p.name === part.name);
            if (decl?.type === "file" && part.filename === undefined) {
              problems.push(`form part "${part.name}" is a file and needs a filename`);
            }
          }
          for (const p of formParams) {
            if (p.required && !parts.some((x) => x.name === p.name))
              problems.push(`form part "${p.name}" missing`);
          }
        }
      }
    } else if (bodyParam?.schema) {
      if (req.body.length === 0) {
        if (bodyParam.required) problems.push("request body missing");
      } else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(req.body.toString("utf8"));
        } catch {
          problems.push("request body is not JSON");
        }
        if (parsed !== undefined) {
          const err = this.validate("request", bodyParam.schema, parsed);
          if (err) problems.push(`body: ${err}`);
        }
      }
    } else if (req.body.length > 0) {
      // Custom methods (:archive ...) and GET/DELETE take no body (FACTS.md §7).
      const text = req.body.toString("utf8").trim();
      if (text !== "" && text !== "{}") problems.push(`${op.method} ${op.template} takes no body`);
    }
    return { op, problems };
  }
}

function checkScalar(p: SwaggerParam, v: string): string | undefined {
  const type = p.type === "array" ? p.items?.type : p.type;
  const enumValues = p.type === "array" ? p.items?.enum : p.enum;
  if (enumValues && !enumValues.includes(v)) return `not one of ${enumValues.join(", ")}`;
  if (type === "integer" && !/^-?\d+$/.test(v)) return "not an integer";
  if (type === "boolean" && v !== "true" && v !== "false") return "not a boolean";
  if (type === "string" && (p.format === "int64" || p.format === "uint64") && !/^-?\d+$/.test(v))
    return "not an int64";
  return undefined;
}

/** Names and filenames of the parts of a multipart body (headers only; enough for a contract check). */
export function multipartPartHeaders(
  contentType: string,
  body: Buffer,
): { name: string; filename?: string; contentType?: string }[] | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) return undefined;
  const text = body.toString("latin1");
  const delim = `--${boundary}`;
  if (!text.startsWith(delim)) return undefined;
  const out: { name: string; filename?: string; contentType?: string }[] = [];
  const chunks = text.split(delim).slice(1);
  for (const chunk of chunks) {
    if (chunk.startsWith("--")) break;
    const headerEnd = chunk.indexOf("\r\n\r\n");
    if (headerEnd < 0) return undefined;
    const headers = chunk.slice(2, headerEnd).split("\r\n");
    const disp = headers.find((h) => /^content-disposition:/i.test(h));
    if (!disp) return undefined;
    const name = /\bname="([^"]*)"/i.exec(disp)?.[1];
    if (name === undefined) return undefined;
    const filename = /\bfilename="([^"]*)"/i.exec(disp)?.[1];
    const ct = headers.find((h) => /^content-type:/i.test(h))?.replace(/^content-type:\s*/i, "");
    const part: { name: string; filename?: string; contentType?: string } = { name };
    if (filename !== undefined) part.filename = filename;
    if (ct !== undefined) part.contentType = ct;
    out.push(part);
  }
  return out;
}

/** The API version of a request path ("/apis/v2beta1/..." → "v2beta1"), if it is one of ours. */
export function versionOf(urlPath: string): SpecVersion | undefined {
  const m = /^\/apis\/(v1beta1|v2beta1|v2)(?:\/|$)/.exec(urlPath);
  return m?.[1] as SpecVersion | undefined;
}

let loaded: Record<SpecVersion, Swagger> | undefined;
export function swaggers(): Record<SpecVersion, Swagger> {
  loaded ??= { v1beta1: new Swagger("v1beta1"), v2beta1: new Swagger("v2beta1"), v2: new Swagger("v2") };
  return loaded;
}
