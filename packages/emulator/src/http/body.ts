/**
 * Request body decoding with protojson strictness (FACTS.md §2.1): `DiscardUnknown: false` rejects an
 * unknown field with 400, both `snake_case` and `lowerCamelCase` keys are accepted, enums by name or
 * number, int64 as string or number, `null` means unset.
 *
 * A shape describes the message: scalar kinds, nested messages, repeated fields and maps. The decoded
 * result uses proto (snake_case) names for message fields; map keys and Struct/Value content are kept
 * as sent. Enum values come back as their names, int64/int32 as numbers, timestamps as the RFC 3339
 * string that was sent (validated).
 */

import { parseTimestamp, toCamel } from "./encode.js";
import { gatewayInvalid } from "./errors.js";
import { checkJsonText } from "./limits.js";

export type ScalarKind =
  | "string"
  | "int32"
  | "int64"
  | "double"
  | "bool"
  | "bytes"
  | "timestamp"
  | "duration"
  /** google.protobuf.Struct: any JSON object. */
  | "struct"
  /** google.protobuf.Value: any JSON value. */
  | "value"
  /** Anything (google.protobuf.Any, google.rpc.Status details): not checked. */
  | "any";

export type Shape = ScalarKind | MessageShape | RepeatedShape | MapShape | EnumShape;
export interface MessageShape {
  readonly $: "message";
  readonly name: string;
  readonly fields: Readonly<Record<string, Shape>>;
}
export interface RepeatedShape {
  readonly $: "repeated";
  readonly of: Shape;
}
export interface MapShape {
  readonly $: "map";
  readonly of: Shape;
}
export interface EnumShape {
  readonly $: "enum";
  readonly name: string;
  readonly values: readonly string[];
}

/** A message with snake_case field names. */
export function message(name: string, fields: Record<string, Shape>): MessageShape {
  return { $: "message", name, fields };
}
export function repeated(of: Shape): RepeatedShape {
  return { $: "repeated", of };
}
export function mapOf(of: Shape): MapShape {
  return { $: "map", of };
}
/** Enum; `values[i]` is the name of number i (use "" for gaps). */
export function enumOf(name: string, values: readonly string[]): EnumShape {
  return { $: "enum", name, values };
}

/** Position helper: protojson reports "(line L:C)" of the offending token. */
class Locator {
  private readonly lineStarts: number[] = [0];
  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }
  /** Position of the JSON key `key` (first occurrence), or 1:1. */
  ofKey(key: string): string {
    const re = new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"\\s*:`);
    const m = re.exec(this.text);
    return this.at(m ? m.index : 0);
  }
  at(offset: number): string {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return `(line ${lo + 1}:${offset - this.lineStarts[lo]! + 1})`;
  }
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/**
 * Parse a request body as the message `shape` (or, with a list of allowed snake_case keys, a flat
 * message whose fields are not type-checked). Throws a 400 gateway error like protojson.
 */
export function decodeJsonBody(
  raw: Buffer | string,
  shape?: MessageShape | readonly string[],
): Record<string, unknown> {
  const text = typeof raw === "string" ? raw : raw.toString("utf8");
  if (text.trim() === "") return {};
  checkJsonText(text, "request body");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw gatewayInvalid(`proto: syntax error (line 1:1): ${msg}`);
  }
  const loc = new Locator(text);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw gatewayInvalid(`proto: (line 1:1): unexpected token ${JSON.stringify(parsed)?.slice(0, 20)}`);
  }
  if (!shape) return parsed as Record<string, unknown>;
  const msgShape = Array.isArray(shape)
    ? message("body", Object.fromEntries((shape as readonly string[]).map((k) => [k, "any" as Shape])))
    : (shape as MessageShape);
  return decodeMessage(parsed as Record<string, unknown>, msgShape, loc);
}

function decodeMessage(
  obj: Record<string, unknown>,
  shape: MessageShape,
  loc: Locator,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const byJson = new Map<string, string>();
  for (const f of Object.keys(shape.fields)) {
    byJson.set(f, f);
    byJson.set(toCamel(f), f);
  }
  for (const [key, value] of Object.entries(obj)) {
    const field = byJson.get(key);
    if (field === undefined) throw gatewayInvalid(`proto: ${loc.ofKey(key)}: unknown field "${key}"`);
    if (seen.has(field)) throw gatewayInvalid(`proto: ${loc.ofKey(key)}: duplicate field "${key}"`);
    seen.add(field);
    if (value === null) continue;
    out[field] = decodeValue(value, shape.fields[field]!, `${shape.name}.${field}`, key, loc);
  }
  return out;
}

function decodeValue(value: unknown, shape: Shape, path: string, key: string, loc: Locator): unknown {
  const bad = (what: string): never => {
    throw gatewayInvalid(
      `proto: ${loc.ofKey(key)}: invalid value for ${what} field ${toCamel(path.split(".").pop() ?? key)}: ${truncate(value)}`,
    );
  };
  if (typeof shape === "string") {
    switch (shape) {
      case "string":
      case "bytes":
        if (typeof value !== "string") bad(shape);
        return value;
      case "bool":
        if (typeof value !== "boolean") bad("bool");
        return value;
      case "int32":
      case "int64": {
        const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
        if (typeof n !== "number" || !Number.isInteger(n)) bad(shape);
        if (shape === "int32" && ((n as number) > 2147483647 || (n as number) < -2147483648)) bad("int32");
        return n;
      }
      case "double": {
        const n = typeof value === "string" ? Number(value) : value;
        if (typeof n !== "number" || Number.isNaN(n)) bad("double");
        return n;
      }
      case "timestamp":
        if (typeof value !== "string" || parseTimestamp(value) === undefined) {
          throw gatewayInvalid(
            `proto: ${loc.ofKey(key)}: invalid google.protobuf.Timestamp value ${truncate(value)}`,
          );
        }
        return value;
      case "duration":
        if (typeof value !== "string" || !/^-?\d+(\.\d{1,9})?s$/.test(value)) {
          throw gatewayInvalid(
            `proto: ${loc.ofKey(key)}: invalid google.protobuf.Duration value ${truncate(value)}`,
          );
        }
        return value;
      case "struct":
        if (kindOf(value) !== "object") {
          throw gatewayInvalid(
            `proto: ${loc.ofKey(key)}: invalid value for google.protobuf.Struct: ${truncate(value)}`,
          );
        }
        return value;
      case "value":
      case "any":
        return value;
    }
  }
  switch (shape.$) {
    case "enum": {
      if (typeof value === "number" && Number.isInteger(value)) {
        return shape.values[value] || String(value);
      }
      if (typeof value === "string" && shape.values.includes(value) && value !== "") return value;
      throw gatewayInvalid(
        `proto: ${loc.ofKey(key)}: invalid value for enum field ${toCamel(key)}: ${truncate(value)}`,
      );
    }
    case "message":
      if (kindOf(value) !== "object") bad("message");
      return decodeMessage(value as Record<string, unknown>, shape, loc);
    case "repeated": {
      if (!Array.isArray(value)) bad("repeated");
      return (value as unknown[]).map((v) => {
        if (v === null) bad("repeated element");
        return decodeValue(v, shape.of, path, key, loc);
      });
    }
    case "map": {
      if (kindOf(value) !== "object") bad("map");
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === null && shape.of !== "value") bad("map entry");
        out[k] = decodeValue(v, shape.of, path, key, loc);
      }
      return out;
    }
  }
}

function truncate(v: unknown): string {
  const s = typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
