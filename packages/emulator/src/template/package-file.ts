/**
 * `ReadPipelineFile` (server/util.go): the pipeline document inside an uploaded file. 32 MiB limit,
 * format by file name for YAML/JSON, by magic bytes for zip and tar.gz, archive member
 * `pipeline.yaml` or else the first member, which must be a YAML file (FACTS.md §4.1).
 */

import { ApiError, invalidInput } from "../http/errors.js";
import { SizeLimitError } from "../http/limits.js";
import { ArchiveError, readTarGzEntries, readZipEntries } from "./archive.js";
import { specError } from "./spec-error.js";

export const MAX_FILE_LENGTH = 32 << 20;

function isYamlFile(name: string): boolean {
  return name.endsWith(".yaml") || name.endsWith(".yml");
}

/**
 * `ReadPipelineFile`: returns the pipeline document bytes or throws an ApiError (code 3) whose
 * internal chain names the reason ("Error read pipeline file: File size too large ...").
 */
export function readPipelineFile(fileName: string, bytes: Buffer, maxLength = MAX_FILE_LENGTH): Buffer {
  try {
    return readPackageBytes(fileName, bytes, maxLength);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // A size-limit breach (http/limits.ts) or anything unexpected: a 400 that says what to fix.
    const msg = err instanceof SizeLimitError ? err.message : "the package could not be read";
    throw invalidInput(msg).wrap("Error read pipeline file");
  }
}

function readPackageBytes(fileName: string, bytes: Buffer, maxLength: number): Buffer {
  if (bytes.length > maxLength) {
    throw invalidInput(
      `File size too large (${bytes.length} bytes). Maximum supported size: ${maxLength}. Consider moving large embedded artifacts or notebooks or Python code into a container image or object store.`,
    ).wrap("Error read pipeline file");
  }
  if (isYamlFile(fileName) || fileName.endsWith(".json")) return bytes;
  const decompressErr = (e: ApiError) => e.wrap("Error decompress the pipeline file");
  if (bytes.length > 2 && bytes[0] === 0x50 && bytes[1] === 0x4b) {
    let entries: ReturnType<typeof readZipEntries>;
    try {
      entries = readZipEntries(bytes);
    } catch (err) {
      throw decompressErr(
        specError(
          "Error extracting pipeline from the zip file. Not a valid zip file",
          (err as Error).message,
        ),
      );
    }
    if (entries.length < 1) {
      throw decompressErr(specError("Error extracting pipeline from the zip file. Empty zip file", "<nil>"));
    }
    const chosen = entries.find((e) => e.name === "pipeline.yaml") ?? entries[0]!;
    if (!isYamlFile(chosen.name)) {
      throw decompressErr(
        invalidInput(
          `Error extracting pipeline from the zip file. Expecting a pipeline.yaml file inside the zip. Got: ${chosen.name}`,
        ),
      );
    }
    try {
      return chosen.read();
    } catch (err) {
      if (err instanceof SizeLimitError) throw err;
      throw decompressErr(specError("Error reading pipeline YAML from the zip file", (err as Error).message));
    }
  }
  if (bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    let entries: ReturnType<typeof readTarGzEntries>;
    try {
      entries = readTarGzEntries(bytes);
    } catch (err) {
      if (err instanceof SizeLimitError) throw err;
      throw decompressErr(
        specError(
          "Error extracting pipeline from the tarball file. Not a valid tarball file",
          err instanceof ArchiveError ? err.message : String(err),
        ),
      );
    }
    const named = entries.find((e) => e.name === "pipeline.yaml");
    if (named) return named.read();
    const first = entries[0]!;
    if (!isYamlFile(first.name)) {
      throw decompressErr(
        invalidInput(
          `Error extracting pipeline from the tarball file. Expecting a pipeline.yaml file inside the tarball. Got: ${first.name}`,
        ),
      );
    }
    return first.read();
  }
  throw invalidInput("Unexpected pipeline file format. Support .zip, .tar.gz, .json or YAML");
}
