/**
 * Model fingerprints of allocation policies: a model's id as its backend reports it (the GGUF file
 * name, or the server's model name) and, for a local GGUF file, a content hash.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { basename } from "node:path";
import { embeddedModelPath } from "../defaults.js";
import type { EvalModelConfig } from "../eval/runner.js";

/** Bytes hashed from each end of a large file. */
const EDGE_BYTES = 8 << 20;

/**
 * SHA-256 of a model file: of the whole file up to 16 MiB, else of its size and its first and last
 * 8 MiB (a GGUF's header, metadata and tensor table are at its start, so retrained or requantised
 * weights change the hash, while hashing gigabytes on every use would not be worth it).
 */
export function modelFileHash(file: string): string {
  const hash = createHash("sha256");
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const read = (offset: number, length: number) => {
      const buffer = Buffer.alloc(length);
      const got = readSync(fd, buffer, 0, length, offset);
      hash.update(buffer.subarray(0, got));
    };
    if (size <= 2 * EDGE_BYTES) read(0, size);
    else {
      hash.update(`size:${size}`);
      read(0, EDGE_BYTES);
      read(size - EDGE_BYTES, EDGE_BYTES);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** The fingerprint of a GGUF file: its file name (the embedded backend's model id) and hash. */
export function ggufFingerprint(file: string): { id: string; sha256: string } {
  return { id: basename(file), sha256: modelFileHash(file) };
}

/**
 * The model fingerprint of an eval run's model: a local GGUF (the embedded one included) by name and
 * hash; a server model or a not-yet-downloaded `hf:` model by id alone.
 */
export function runModelFingerprint(model: EvalModelConfig): { id: string; sha256?: string } {
  if (model.source === "embedded") return ggufFingerprint(embeddedModelPath("policy"));
  if (model.source === "gguf" && model.model && existsSync(model.model)) return ggufFingerprint(model.model);
  const id = model.model ?? "unknown";
  return { id: model.source === "gguf" ? basename(id) : id };
}
