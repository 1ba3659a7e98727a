import { closeSync, openSync, readSync } from "node:fs";
import { ModelLoadError } from "../../core/errors.js";

/**
 * Checks a GGUF file's header before llama.cpp reads it. node-llama-cpp reads a file with a garbled
 * header as version 3 anyway and can then spend unbounded time on absurd counts, so a file that is
 * not a plausible GGUF is refused here with a clear message.
 */
export function checkGgufHeader(file: string): void {
  const header = Buffer.alloc(24);
  const fd = openSync(file, "r");
  let read: number;
  try {
    read = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  const hint = "the file is not a GGUF model, or it is damaged: download it again";
  if (read < header.length || header.toString("latin1", 0, 4) !== "GGUF") {
    throw new ModelLoadError(`${file} is not a GGUF file (no GGUF header)`, { hint });
  }
  const version = header.readUInt32LE(4);
  if (version < 2 || version > 3) {
    throw new ModelLoadError(`${file} has unsupported GGUF version ${version}`, { hint });
  }
  const tensors = header.readBigUInt64LE(8);
  const keys = header.readBigUInt64LE(16);
  if (tensors > 1_000_000n || keys > 1_000_000n) {
    throw new ModelLoadError(`${file} has a corrupt GGUF header (${tensors} tensors, ${keys} keys)`, {
      hint,
    });
  }
}
