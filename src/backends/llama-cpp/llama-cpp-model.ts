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
  type Token,
} from "node-llama-cpp";
import { AbortedError, ConfigError, ModelLoadError } from "../../core/errors.js";
import type {
  Completion,
  CompletionRequest,
  CompletionResponse,
  FinishReason,
  LanguageModel,
  ModelCapabilities,
  ScoreRequest,
  ScoreResponse,
  TokenLogprob,
} from "../../core/model.js";
import type { Prompt } from "../../core/prompt.js";
import { emptyUsage, type Usage } from "../../core/usage.js";
import { randomSeed, validateCompletionRequest } from "../../core/validate.js";
import { embeddedModelPath } from "../../defaults.js";
import { ChatTemplate } from "./chat-template.js";
import { type DownloadOptions, downloadModel } from "./download.js";
import { checkGgufHeader } from "./gguf-header.js";
import { NativeLayer, type NativeSamplingOptions, type PositionLogprobs } from "./native.js";
import { SequencePool } from "./sequence-pool.js";

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
 * The embedded backend: a GGUF model run in-process by llama.cpp through node-llama-cpp.
 *
 * `n` samples are decoded in parallel as sequences of one context (llama.cpp batches them). The
 * prompt is evaluated once: its KV state is copied to the other sequences and their first tokens are
 * sampled from the one evaluated position. Sampling happens in JavaScript from raw logits with a
 * generator seeded `seed + i` for sample `i`, which makes samples reproducible and gives exact
 * log-probabilities of the unmodified distribution.
 */
export class LlamaCppModel implements LanguageModel {
  readonly id: string;
  /** The GGUF file the model was loaded from (an `hf:` URI resolved to its downloaded file). */
  readonly file: string;
  readonly capabilities: ModelCapabilities;
  private readonly pool: SequencePool;
  private readonly sequences: readonly LlamaContextSequence[];
  private readonly chatTemplate: ChatTemplate | null;
  private readonly native: NativeLayer;

  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    sequences: LlamaContextSequence[],
    file: string,
  ) {
    this.id = path.basename(file);
    this.file = file;
    this.sequences = sequences;
    this.pool = new SequencePool(sequences);
    this.native = NativeLayer.open(model, context, sequences[0]!);
    const template = model.fileInfo.metadata.tokenizer?.chat_template;
    this.chatTemplate =
      typeof template === "string"
        ? new ChatTemplate(template, {
            bos_token: model.tokens.bosString ?? "",
            eos_token: model.tokens.eosString ?? "",
          })
        : null;
    this.capabilities = {
      logprobs: true,
      promptLogprobs: true,
      maxParallel: sequences.length,
      chat: this.chatTemplate !== null,
    };
  }

  /** Loads a GGUF model and creates its context. Throws {@link ModelLoadError} with the reason. */
  static async load(options: LlamaCppOptions = {}): Promise<LlamaCppModel> {
    const parallel = options.parallel ?? 32;
    if (!Number.isInteger(parallel) || parallel < 1 || parallel > 1024) {
      throw new ConfigError(`parallel must be an integer from 1 to 1024, got ${parallel}`);
    }
    const cacheDir = options.cacheDir ?? path.join(os.homedir(), ".cache", "deliberate", "models");
    const modelPath = await resolveModelPath(options.model ?? embeddedModelPath("policy"), options, cacheDir);
    checkGgufHeader(modelPath);
    const llama = await sharedLlama(options.gpu ?? "auto");
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath });
    } catch (cause) {
      throw new ModelLoadError(`could not load ${modelPath}: ${(cause as Error).message}`, {
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
    return new LlamaCppModel(model, context, sequences, modelPath);
  }

  /** Context size of each sequence, in tokens. */
  get contextSize(): number {
    return this.context.contextSize;
  }

  /** Token ids of a prompt (and assistant-side prefix) as the model sees them. */
  encodePrompt(prompt: Prompt, prefix = ""): Token[] {
    let text: string;
    let special = false;
    if (typeof prompt === "string") {
      text = prompt + prefix;
    } else {
      if (!this.chatTemplate) {
        throw new ConfigError(`model ${this.id} has no chat template`, {
          hint: "send a raw text prompt instead",
        });
      }
      text = this.chatTemplate.render(prompt.messages) + prefix;
      special = true;
    }
    const tokens = this.model.tokenize(text, special);
    const bos = this.model.tokens.bos;
    if (bos !== null && this.model.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens.unshift(bos);
    return tokens;
  }

  async complete(request: CompletionRequest): Promise<CompletionResponse> {
    validateCompletionRequest(request);
    const started = performance.now();
    const prompt = this.encodePrompt(request.prompt, request.prefix);
    const room = this.contextSize - prompt.length;
    if (room < 1) {
      throw new ConfigError(`the prompt has ${prompt.length} tokens; the context holds ${this.contextSize}`, {
        hint: "shorten the prompt or load the model with a larger contextSize",
      });
    }
    const n = request.n ?? 1;
    const params: GenerationParams = {
      sampling: {
        temperature: request.temperature ?? 1,
        topK: request.topK ?? 0,
        topP: request.topP ?? 1,
        minP: request.minP ?? 0,
      },
      maxTokens: Math.min(request.maxTokens ?? room, room),
      stop: request.stop ?? [],
      seed: request.seed ?? randomSeed(),
      logprobs: request.logprobs ?? false,
      topLogprobs: request.topLogprobs ?? 0,
      signal: request.signal,
    };
    // Prompt tokens are counted once per request (the n samples share them, as in the OpenAI API);
    // each group adds the prompt tokens it had to evaluate beyond its fan-out token.
    const usage = emptyUsage();
    usage.calls = 1;
    usage.promptTokens = prompt.length;
    let evaluated = 0;
    const groups: Promise<Completion[]>[] = [];
    for (let first = 0; first < n; first += this.capabilities.maxParallel) {
      const size = Math.min(this.capabilities.maxParallel, n - first);
      groups.push(
        this.generateGroup(prompt, first, size, params, usage, (tokens) => {
          evaluated += tokens;
        }),
      );
    }
    const completions = (await Promise.all(groups)).flat();
    usage.cachedPromptTokens = Math.max(0, prompt.length - evaluated);
    usage.wallMs = performance.now() - started;
    return { completions, usage };
  }

  async score(request: ScoreRequest): Promise<ScoreResponse> {
    const started = performance.now();
    const prompt = this.encodePrompt(request.prompt, request.prefix);
    const continuation = this.model.tokenize(request.continuation, false);
    const all = [...prompt, ...continuation];
    if (all.length > this.contextSize) {
      throw new ConfigError(
        `prompt and continuation have ${all.length} tokens; the context holds ${this.contextSize}`,
      );
    }
    const usage = emptyUsage();
    usage.calls = 1;
    usage.promptTokens = all.length;
    const include = this.includeTokenIds(request.includeTokens ?? []);
    const top = request.topLogprobs ?? 0;
    const [sequence] = await this.pool.acquire(1, all, request.signal);
    const reader = this.native.logprobReader();
    try {
      // Positions prompt.length-1 … all.length-2 predict the continuation's tokens; the position
      // before the first of them is evaluated again when it is cached, for its logits.
      const firstWanted = prompt.length - 1;
      const kept = await this.reuseLongestPrefix(sequence!, all, firstWanted);
      usage.cachedPromptTokens = kept;
      const input = all.slice(kept, all.length - 1);
      const outputs = await this.native.decode(
        sequence!,
        input,
        (i) => kept + i >= firstWanted,
        (batchLogitIndex, i) => {
          const next = all[kept + i + 1]!;
          return reader.read(batchLogitIndex, [next, ...include.values()], top);
        },
      );
      const tokens: TokenLogprob[] = continuation.map((token, j) => {
        const position = outputs[firstWanted + j - kept];
        if (!position) throw new Error("llama.cpp returned no logits for a scored position");
        return this.describeToken(token, position, include);
      });
      usage.wallMs = performance.now() - started;
      return { tokens, usage };
    } finally {
      reader.dispose();
      this.pool.release([sequence!]);
    }
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }

  /**
   * Keeps the longest cached prefix of `tokens` in `sequence` (at most `limit` tokens) and erases the
   * rest; returns how many tokens were kept and need no evaluation.
   */
  private async rewind(sequence: LlamaContextSequence, tokens: Token[], limit: number): Promise<number> {
    const kept = Math.min(sequence.compareContextTokens(tokens).firstDifferentIndex, limit);
    if (kept < sequence.nextTokenIndex) {
      await sequence.eraseContextTokenRanges([{ start: kept, end: sequence.nextTokenIndex }]);
    }
    return kept;
  }

  /**
   * Generates `size` samples (seeds `seed + first …`) in as many sequences. The leader evaluates
   * the prompt; every other sequence gets the KV state of all but the prompt's last token copied
   * from it and evaluates that one token itself, so each sample's first token is drawn natively
   * from its own sequence's logits while the prompt is evaluated once.
   */
  private async generateGroup(
    prompt: Token[],
    first: number,
    size: number,
    params: GenerationParams,
    usage: Usage,
    onEvaluated: (tokens: number) => void,
  ): Promise<Completion[]> {
    let sequences: LlamaContextSequence[];
    try {
      sequences = await this.pool.acquire(size, prompt, params.signal);
    } catch (error) {
      // Aborted while waiting for sequences: these samples produced nothing, the others keep theirs.
      if (!(error instanceof AbortedError)) throw error;
      return Array.from(
        { length: size },
        (): Completion => ({ text: "", finishReason: "abort", completionTokens: 0 }),
      );
    }
    const last = prompt.length - 1;
    try {
      const leader = sequences[0]!;
      const kept = await this.reuseLongestPrefix(leader, prompt, last);
      // The first group's leader evaluates the prompt; a later group's only what its cache lacks.
      onEvaluated(first === 0 ? prompt.length - kept : last - kept);
      let prefilled!: () => void;
      const leaderReady = new Promise<void>((resolve) => {
        prefilled = resolve;
      });
      const leaderRun = this.decode(
        leader,
        prompt.slice(kept),
        params.seed + first,
        params,
        usage,
        prefilled,
      );
      // A failed prefill rejects leaderRun; the others then never start.
      await Promise.race([leaderReady, leaderRun]);
      const others: Promise<Completion>[] = [];
      for (const [i, sequence] of sequences.entries()) {
        if (i === 0) continue;
        const own = await this.reuseLongestPrefix(sequence, prompt, last);
        onEvaluated(last - own);
        others.push(this.decode(sequence, prompt.slice(own), params.seed + first + i, params, usage));
      }
      return await Promise.all([leaderRun, ...others]);
    } finally {
      this.pool.release(sequences);
    }
  }

  /**
   * Makes `sequence` hold the longest prefix of `tokens` (at most `limit`) that any sequence of the
   * context has cached, copying KV state from another sequence when that one shares more (children
   * of a search node expanded at once all start from their parent's state). Returns the tokens kept.
   */
  private async reuseLongestPrefix(
    sequence: LlamaContextSequence,
    tokens: Token[],
    limit: number,
  ): Promise<number> {
    const own = Math.min(sequence.compareContextTokens(tokens).firstDifferentIndex, limit);
    let donor: LlamaContextSequence | undefined;
    let best = own;
    for (const other of this.sequences) {
      if (other === sequence) continue;
      const shared = Math.min(other.compareContextTokens(tokens).firstDifferentIndex, limit);
      if (shared > best) {
        best = shared;
        donor = other;
      }
    }
    if (donor && (await this.copyState(sequence, donor, best))) return best;
    return this.rewind(sequence, tokens, limit);
  }

  /** Copies the first `length` cached tokens of `source` into `target`; false when it could not. */
  private async copyState(
    target: LlamaContextSequence,
    source: LlamaContextSequence,
    length: number,
  ): Promise<boolean> {
    // node-llama-cpp keeps KV copying internal (it backs its own decision helpers); callers fall back
    // to evaluating when a future version drops it.
    const copy = (target as unknown as CopyCapable)._copyStateFromOtherSequence;
    return typeof copy === "function" && (await copy.call(target, source, length));
  }

  /**
   * Generates one sample in `sequence`: decodes `input` (the rest of the prompt), then one sampled
   * token per step, each step in the context's shared batch. The token is drawn by the sample's own
   * native sampler; with `logprobs`, a reader reports its raw log-probability (one linear pass over
   * the vocabulary) at the same time.
   */
  private async decode(
    sequence: LlamaContextSequence,
    input: Token[],
    seed: number,
    params: GenerationParams,
    usage: Usage,
    onPrefilled?: () => void,
  ): Promise<Completion> {
    const sampler = this.native.sampler({ ...params.sampling, seed });
    const reader = params.logprobs ? this.native.logprobReader() : undefined;
    const generated: Token[] = [];
    const logprobs: TokenLogprob[] = [];
    let text = "";
    let finishReason: FinishReason = "length";
    let stopSequence: string | undefined;
    let eog = false;
    const longestStop = Math.max(0, ...params.stop.map((s) => s.length));
    try {
      let tokens = input;
      while (true) {
        if (params.signal?.aborted) {
          finishReason = "abort";
          break;
        }
        const lastIndex = tokens.length - 1;
        const outputs = await this.native.decode(
          sequence,
          tokens,
          (i) => i === lastIndex,
          async (batchLogitIndex) => {
            if (!reader) return { token: (await sampler.sample(batchLogitIndex)) as Token };
            const [drawn, position] = await Promise.all([
              sampler.sampleWithLogit(batchLogitIndex),
              reader.read(batchLogitIndex, [], params.topLogprobs),
            ]);
            position.logits.set(drawn.token, drawn.logit);
            return { token: drawn.token as Token, position };
          },
        );
        onPrefilled?.();
        onPrefilled = undefined;
        const next = outputs[lastIndex];
        if (!next || next.token < 0) throw new Error("llama.cpp could not sample a token");
        const token = next.token;
        generated.push(token);
        usage.completionTokens++;
        if (this.model.isEogToken(token)) {
          generated.pop();
          eog = true;
          finishReason = "stop";
          break;
        }
        if (next.position) logprobs.push(this.describeToken(token, next.position, new Map()));
        if (params.stop.length > 0) {
          const before = text.length;
          text = this.model.detokenize(generated);
          const hit = earliestStop(text, params.stop, Math.max(0, before - longestStop));
          if (hit) {
            text = text.slice(0, hit.index);
            stopSequence = hit.stop;
            finishReason = "stop";
            break;
          }
        }
        if (generated.length >= params.maxTokens) break;
        tokens = [token];
      }
    } finally {
      onPrefilled?.();
      sampler.dispose();
      reader?.dispose();
    }
    if (stopSequence === undefined) text = this.model.detokenize(generated);
    const completion: Completion = {
      text,
      finishReason,
      completionTokens: generated.length + (eog ? 1 : 0),
    };
    if (stopSequence !== undefined) completion.stopSequence = stopSequence;
    if (params.logprobs) completion.logprobs = logprobs;
    return completion;
  }

  /** Token ids of texts that are exactly one token (a PRM's good/bad tokens), by text. */
  private includeTokenIds(texts: string[]): Map<string, number> {
    const ids = new Map<string, number>();
    for (const text of texts) {
      const tokens = this.model.tokenize(text, true);
      if (tokens.length === 1) ids.set(text, tokens[0] as number);
    }
    return ids;
  }

  private describeToken(
    token: Token,
    position: PositionLogprobs,
    include: Map<string, number>,
  ): TokenLogprob {
    const norm = position.logNormaliser;
    const logit = position.logits.get(token);
    const entry: TokenLogprob = {
      token: this.model.detokenize([token], true),
      // llama.cpp sums the normaliser in float32: clamp the rounding so a certain token reads 0.
      logprob: logit === undefined ? Number.NEGATIVE_INFINITY : Math.min(0, logit - norm),
    };
    if (position.top.length > 0 || include.size > 0) {
      const alternatives: Record<string, number> = {};
      for (const [t, lp] of position.top) {
        // Byte-fallback tokens can spell the same text as a regular token: keep the likelier one.
        const text = this.model.detokenize([t], true);
        if (!(text in alternatives)) alternatives[text] = Math.min(0, lp);
      }
      for (const [text, id] of include) {
        const value = position.logits.get(id);
        if (value !== undefined) alternatives[text] = Math.min(0, value - norm);
      }
      entry.top = alternatives;
    }
    return entry;
  }
}

interface GenerationParams {
  sampling: Omit<NativeSamplingOptions, "seed">;
  maxTokens: number;
  stop: string[];
  seed: number;
  logprobs: boolean;
  topLogprobs: number;
  signal: AbortSignal | undefined;
}

interface CopyCapable {
  _copyStateFromOtherSequence?: (other: LlamaContextSequence, upToTokenIndex: number) => Promise<boolean>;
}

/** The first stop string occurring in `text` at or after `from`. */
export function earliestStop(
  text: string,
  stops: string[],
  from: number,
): { index: number; stop: string } | null {
  let best: { index: number; stop: string } | null = null;
  for (const stop of stops) {
    const index = text.indexOf(stop, from);
    if (index >= 0 && (best === null || index < best.index)) best = { index, stop };
  }
  return best;
}
