import { existsSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  getLlama,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  LlamaLogLevel,
  type LlamaModel,
} from "node-llama-cpp";
import { ConfigError, ModelLoadError } from "../../core/errors.js";
import { embeddedModelPath } from "../../defaults.js";
import { type DownloadOptions, downloadModel } from "./download.js";
import { checkGgufHeader } from "./gguf-header.js";

/** Options of {@link LlamaCppModel.load}. */
export interface LlamaCppOptions {
  /**
   * Path of a GGUF file, or an `hf:` URI (`hf:user/repo/file.gguf`), downloaded once into `cacheDir`.
   * Default: the embedded policy model shipped in the package's models/ folder.
   */
  model?: string;
  /** Sequences decoded in one batch (the most samples generated at once). Default 32. */
  parallel?: number;
  /** Context size of each sequence, in tokens. Default: the model's training context, at most 4096. */
  contextSize?: number;
  /** Compute threads. Default: 1 on machines with ≤ 2 cores (more starves Node's event loop), else cores − 1. */
  threads?: number;
  /** `"auto"` uses a GPU when the machine has one (CUDA, Vulkan, Metal), `false` forces the CPU. */
  gpu?: "auto" | false;
  /** Where `hf:` downloads go. Default `~/.cache/deliberate/models`. */
  cacheDir?: string;
  /**
   * Seconds a download may make no progress before it fails (no answer from the host, a stalled
   * transfer). Default `$DELIBERATE_DOWNLOAD_TIMEOUT`, else 30.
   */
  downloadTimeoutSeconds?: number;
  /** Download progress: `"auto"` (default) prints a line on stderr when it is a terminal. */
  onDownloadProgress?: DownloadOptions["onProgress"];
  /**
   * Precision of the KV cache. Default `F16`: llama.cpp's CPU attention is several times slower
   * with F32 (measured 1,204 vs 332 tokens/s at 32 sequences on the embedded model).
   */
  kvCacheType?: "F16" | "F32";
  /**
   * llama.cpp's fused attention kernel. Default `"auto"`: llama.cpp uses it where the device supports
   * it, as its own server does. On the CPU it cuts the decode's time per token by about a quarter at
   * 32 sequences on the embedded model's shape; `false` turns it off.
   */
  flashAttention?: boolean | "auto";
}

/** A loaded GGUF model with one context of `parallel` sequences. */
export interface LoadedContext {
  model: LlamaModel;
  context: LlamaContext;
  sequences: LlamaContextSequence[];
  /** The GGUF file on disk (an `hf:` URI resolved to its downloaded file). */
  file: string;
}

const llamaInstances = new Map<string, Promise<Llama>>();

/** One llama.cpp runtime per GPU setting per process: loading it costs time and memory. */
function sharedLlama(gpu: "auto" | false): Promise<Llama> {
  const key = String(gpu);
  let instance = llamaInstances.get(key);
  if (!instance) {
    // Never build or download binaries at run time: the prebuilt ones come with the npm install.
    instance = getLlama({
      gpu,
      build: "never",
      skipDownload: true,
      progressLogs: false,
      logLevel: LlamaLogLevel.error,
    });
    llamaInstances.set(key, instance);
  }
  return instance;
}

async function resolveModelPath(model: string, options: LlamaCppOptions, cacheDir: string): Promise<string> {
  if (model.startsWith("hf:") || /^https?:\/\//.test(model)) {
    return downloadModel(model, {
      directory: cacheDir,
      timeoutSeconds: options.downloadTimeoutSeconds,
      onProgress: options.onDownloadProgress ?? "auto",
    });
  }
  const resolved = path.resolve(model);
  if (!existsSync(resolved) || !statSync(resolved).isFile()) {
    throw new ModelLoadError(`model file not found: ${resolved}`, {
      hint: "give the path of a .gguf file or an hf: URI",
    });
  }
  return resolved;
}

/**
 * Resolves, checks and loads a GGUF model and creates its context and sequences. Throws
 * {@link ModelLoadError} with the reason, {@link ConfigError} on invalid options.
 */
export async function loadContext(options: LlamaCppOptions): Promise<LoadedContext> {
  const parallel = options.parallel ?? 32;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 1024) {
    throw new ConfigError(`parallel must be an integer from 1 to 1024, got ${parallel}`);
  }
  const cacheDir = options.cacheDir ?? path.join(os.homedir(), ".cache", "deliberate", "models");
  const file = await resolveModelPath(options.model ?? embeddedModelPath("policy"), options, cacheDir);
  checkGgufHeader(file);
  const llama = await sharedLlama(options.gpu ?? "auto");
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: file });
  } catch (cause) {
    throw new ModelLoadError(`could not load ${file}: ${(cause as Error).message}`, {
      hint: "is it a complete, valid GGUF file? Re-download it if it may be truncated",
      cause,
    });
  }
  const cores = os.availableParallelism();
  const threads = options.threads ?? (cores <= 2 ? 1 : cores - 1);
  const contextSize = options.contextSize ?? Math.min(model.trainContextSize, 4096);
  let context: LlamaContext;
  try {
    const kvType = options.kvCacheType ?? "F16";
    context = await model.createContext({
      contextSize,
      sequences: parallel,
      threads,
      flashAttention: options.flashAttention ?? "auto",
      experimentalKvCacheKeyType: kvType,
      experimentalKvCacheValueType: kvType,
    });
  } catch (cause) {
    await model.dispose();
    throw new ModelLoadError(`could not create a context of ${parallel} × ${contextSize} tokens`, {
      hint: "lower parallel or contextSize",
      cause,
    });
  }
  const sequences = Array.from({ length: parallel }, () => context.getSequence());
  return { model, context, sequences, file };
}
