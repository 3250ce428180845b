/**
 * Comparing and hashing pipeline specs the way the server stores them (its protojson round trip):
 * `specsEqual` and `specHash` call a package and the copy the server returns the same pipeline.
 */
import { platform } from "#platform";
import { isRecord } from "../internal/values.js";
import { type JsonObject, splitSpecObject } from "./spec-rules.js";

/**
 * Keys whose values are `google.protobuf.Value`/`Struct` payloads: kept verbatim when normalising
 * (a `0`, `false` or `""` there is meaningful).
 */
const VERBATIM_KEYS = new Set(["defaultValue", "constant", "constantValue", "runtimeValue", "metadata"]);

function camel(key: string): string {
  return key.includes("_") ? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : key;
}

function isEmptyValue(v: unknown): boolean {
  return (
    v === null ||
    v === undefined ||
    v === false ||
    v === 0 ||
    v === "" ||
    (Array.isArray(v) && v.length === 0) ||
    (isRecord(v) && Object.keys(v).length === 0)
  );
}

/**
 * Normalise a spec the way the server's protojson round trip does, so that a package and the copy the
 * server stored compare equal: keys in lowerCamelCase, zero values (`false`, `0`, `""`, empty lists and
 * maps, null) dropped outside Value payloads, integer strings read as numbers.
 */
export function normalizeSpec(value: unknown, verbatim = false): unknown {
  if (Array.isArray(value)) return value.map((v) => normalizeSpec(v, verbatim));
  if (isRecord(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value).sort()) {
      const k = verbatim ? key : camel(key);
      const inner = verbatim || VERBATIM_KEYS.has(k);
      const v = normalizeSpec(value[key], inner);
      if (!inner && isEmptyValue(v)) continue;
      out[k] = v;
    }
    return out;
  }
  if (!verbatim && typeof value === "string" && /^-?\d{1,15}$/.test(value)) return Number(value);
  return value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isRecord(a)) {
    if (!isRecord(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!Object.hasOwn(b, k) || !deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** Normalised `{pipeline, platform}` of any accepted spec form. */
function normalizedPair(spec: unknown): { pipeline: unknown; platform: unknown } {
  const { pipelineSpec, platformSpec } = splitSpecObject(spec);
  const platform = platformSpec ? normalizeSpec(platformSpec) : {};
  return { pipeline: normalizeSpec(pipelineSpec), platform };
}

/**
 * Whether two specs are the same pipeline: each may be a PipelineSpec object or the
 * `{pipeline_spec, platform_spec}` form; compared after `normalizeSpec`.
 */
export function specsEqual(a: unknown, b: unknown): boolean {
  const x = normalizedPair(a);
  const y = normalizedPair(b);
  return deepEqual(x.pipeline, y.pipeline) && deepEqual(x.platform, y.platform);
}

/** Canonical JSON (sorted keys) of a value. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isRecord(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** SHA-256 (hex) of the normalised spec: equal for packages that `specsEqual` calls equal. */
export function specHash(spec: unknown): string {
  const { pipeline, platform: platformSpec } = normalizedPair(spec);
  return platform.sha256Hex(canonicalJson({ pipeline, platform: platformSpec }));
}
