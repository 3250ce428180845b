/** Checks of upload options and of in-memory package content, shared by uploads and publish. */
import { platform } from "#platform";
import { ValidationError } from "../core/errors.js";
import {
  type CheckDepth,
  checkPackageBytes,
  checkPackageText,
  checkSpecObject,
  isSpecFilename,
} from "../core/spec.js";
import type { PreparedSource } from "../core/uploads.js";

/** An optional string option, at most `max` characters. */
export function checkString(v: unknown, field: string, max?: number): void {
  if (v === undefined) return;
  if (typeof v !== "string") throw new ValidationError(`${field} must be a string`, { field });
  if (max !== undefined && v.length > max) {
    throw new ValidationError(`${field} is ${v.length} characters; the server allows at most ${max}`, {
      field,
    });
  }
}

/** The error of a stream that grows past `maxSize`. */
export function sizeError(max: number): (size: number) => ValidationError {
  return (size) =>
    new ValidationError(`the pipeline package is over maxSize (${max} bytes): read ${size} bytes so far`, {
      field: "source",
    });
}

/** `maxSize`: a positive number of bytes, or Infinity. */
export function checkMaxSize(v: unknown): void {
  if (v !== undefined && (typeof v !== "number" || Number.isNaN(v) || v <= 0)) {
    throw new ValidationError("maxSize must be a positive number of bytes (or Infinity)", {
      field: "maxSize",
    });
  }
}

/** The `validate` option: true (the default), false, or "full". */
export function checkValidate(v: unknown): void {
  if (v !== undefined && typeof v !== "boolean" && v !== "full") {
    throw new ValidationError(
      `validate must be true (check the package's top level, the default), "full" (every line) or false; got ${JSON.stringify(v)}`,
      { field: "validate" },
    );
  }
}

/** How deep `validate` asks the package check to read (core/fast-check.ts `CheckDepth`). */
export function depthOf(validate: boolean | "full" | undefined): CheckDepth {
  return validate === "full" ? "full" : "top";
}

/** Run the client-side checks on a prepared source (in-memory content only). */
export function validatePrepared(src: PreparedSource, depth: CheckDepth): void {
  if (src.spec !== undefined) {
    checkSpecObject(src.spec);
    return;
  }
  if (src.text !== undefined) {
    if (isSpecFilename(src.filename)) checkPackageText(src.text, depth);
    else checkPackageBytes(platform.utf8Encode(src.text), src.filename, depth);
  } else if (src.data) {
    checkPackageBytes(src.data, src.filename, depth);
  }
}
