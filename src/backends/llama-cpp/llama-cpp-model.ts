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
  resolveModelFile,
  type Token,
} from "node-llama-cpp";
import { ConfigError, ModelLoadError } from "../../core/errors.js";
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
import { Rng } from "../../core/rng.js";
import { emptyUsage, type Usage } from "../../core/usage.js";
import { randomSeed, validateCompletionRequest } from "../../core/validate.js";
import { embeddedModelPath } from "../../defaults.js";
import { ChatTemplate } from "./chat-template.js";
import { checkGgufHeader } from "./gguf-header.js";
import {
  type Logits,
  logitsFromMap,
  logSumExp,
  type SamplingOptions,
  sampleToken,
  tokenLogprob,
  topLogprobs,
} from "./sampling.js";
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

async function resolveModelPath(model: string, cacheDir: string): Promise<string> {
  if (model.startsWith("hf:") || /^https?:\/\//.test(model)) {
    try {
      return await resolveModelFile(model, { directory: cacheDir, cli: false });
    } catch (cause) {
      throw new ModelLoadError(`could not download ${model}: ${(cause as Error).message}`, {
        hint: "check the URI and your network, or pass a local .gguf path",
        cause,
      });
    }
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
  /** Logits after the last evaluated token of each sequence, so a prompt that ends there costs nothing. */
  private readonly lastLogits = new WeakMap<LlamaContextSequence, { length: number; logits: Logits }>();

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
      prefixCache: true,
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
    const modelPath = await resolveModelPath(options.model ?? embeddedModelPath("policy"), cacheDir);
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
      sampling: { temperature: request.temperature ?? 1, topK: request.topK ?? 0, topP: request.topP ?? 1 },
      maxTokens: Math.min(request.maxTokens ?? room, room),
      stop: request.stop ?? [],
      seed: request.seed ?? randomSeed(),
      logprobs: request.logprobs ?? false,
      topLogprobs: request.topLogprobs ?? 0,
      signal: request.signal,
    };
    const usage = emptyUsage();
    usage.calls = 1;
    const groups: Promise<Completion[]>[] = [];
    for (let first = 0; first < n; first += this.capabilities.maxParallel) {
      const size = Math.min(this.capabilities.maxParallel, n - first);
      groups.push(this.generateGroup(prompt, first, size, params, usage));
    }
    const completions = (await Promise.all(groups)).flat();
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
    const [sequence] = await this.pool.acquire(1, all, request.signal);
    try {
      // Positions prompt.length-1 … all.length-2 predict the continuation's tokens.
      const firstWanted = prompt.length - 1;
      const kept = await this.reuseLongestPrefix(sequence!, all, firstWanted);
      usage.cachedPromptTokens = kept;
      const input = all.slice(kept).map((token, i) => {
        const position = kept + i;
        return position >= firstWanted && position < all.length - 1
          ? ([token, { generateNext: { logits: true } }] as [Token, { generateNext: { logits: true } }])
          : token;
      });
      const outputs = await sequence!.controlledEvaluate(input);
      const wanted = new Set(request.includeTokens ?? []);
      const tokens: TokenLogprob[] = continuation.map((token, j) => {
        const map = outputs[firstWanted + j - kept]?.next.logits;
        if (!map) throw new Error("llama.cpp returned no logits for a scored position");
        const logits = logitsFromMap(map);
        return this.describeToken(token, logits, logSumExp(logits.values), request.topLogprobs ?? 0, wanted);
      });
      usage.wallMs = performance.now() - started;
      return { tokens, usage };
    } finally {
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
   * Evaluates a prompt in `sequence`, reusing its cached prefix; returns the logits after it. When
   * the sequence already holds exactly this prompt and its last logits, nothing is evaluated.
   */
  private async prefill(
    sequence: LlamaContextSequence,
    prompt: Token[],
  ): Promise<{ logits: Logits; kept: number }> {
    const memo = this.lastLogits.get(sequence);
    if (
      memo &&
      memo.length === sequence.nextTokenIndex &&
      memo.length === prompt.length &&
      sequence.compareContextTokens(prompt).firstDifferentIndex === prompt.length
    ) {
      return { logits: memo.logits, kept: prompt.length };
    }
    const kept = await this.reuseLongestPrefix(sequence, prompt, prompt.length - 1);
    const input = prompt.slice(kept);
    const last = input.length - 1;
    const outputs = await sequence.controlledEvaluate(
      input.map((token, i) => (i === last ? [token, { generateNext: { logits: true } }] : token)),
    );
    const map = outputs[last]?.next.logits;
    if (!map) throw new Error("llama.cpp returned no logits for the prompt");
    const logits = logitsFromMap(map);
    this.lastLogits.set(sequence, { length: sequence.nextTokenIndex, logits });
    return { logits, kept };
  }

  private async generateGroup(
    prompt: Token[],
    first: number,
    size: number,
    params: GenerationParams,
    usage: Usage,
  ): Promise<Completion[]> {
    const sequences = await this.pool.acquire(size, prompt, params.signal);
    try {
      const leader = sequences[0]!;
      const { logits, kept } = await this.prefill(leader, prompt);
      usage.promptTokens += prompt.length;
      usage.cachedPromptTokens += kept;
      for (const sequence of sequences.slice(1)) await this.copyPrompt(sequence, leader, prompt);
      return await Promise.all(
        sequences.map((sequence, i) =>
          this.decode(sequence, logits, new Rng(params.seed + first + i), params, usage),
        ),
      );
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

  /** Gives `target` the prompt's KV state, copied from `source` rather than evaluated again. */
  private async copyPrompt(
    target: LlamaContextSequence,
    source: LlamaContextSequence,
    prompt: Token[],
  ): Promise<void> {
    if (await this.copyState(target, source, prompt.length)) return;
    const kept = await this.rewind(target, prompt, prompt.length);
    if (kept < prompt.length) await target.controlledEvaluate(prompt.slice(kept));
  }

  private async decode(
    sequence: LlamaContextSequence,
    promptLogits: Logits,
    rng: Rng,
    params: GenerationParams,
    usage: Usage,
  ): Promise<Completion> {
    const generated: Token[] = [];
    const logprobs: TokenLogprob[] = [];
    let logits = promptLogits;
    let text = "";
    let finishReason: FinishReason = "length";
    let stopSequence: string | undefined;
    const longestStop = Math.max(0, ...params.stop.map((s) => s.length));
    while (true) {
      if (params.signal?.aborted) {
        finishReason = "abort";
        break;
      }
      const token = sampleToken(logits, params.sampling, rng) as Token;
      generated.push(token);
      usage.completionTokens++;
      if (this.model.isEogToken(token)) {
        generated.pop();
        finishReason = "stop";
        break;
      }
      if (params.logprobs) {
        logprobs.push(
          this.describeToken(token, logits, logSumExp(logits.values), params.topLogprobs, new Set()),
        );
      }
      if (params.stop.length > 0) {
        const before = text.length;
        text = this.model.detokenize(generated);
        const from = Math.max(0, before - longestStop);
        const hit = earliestStop(text, params.stop, from);
        if (hit) {
          text = text.slice(0, hit.index);
          stopSequence = hit.stop;
          finishReason = "stop";
          break;
        }
      }
      if (generated.length >= params.maxTokens) break;
      const outputs = await sequence.controlledEvaluate([[token, { generateNext: { logits: true } }]]);
      const map = outputs[0]?.next.logits;
      if (!map) throw new Error("llama.cpp returned no logits while generating");
      logits = logitsFromMap(map);
      this.lastLogits.set(sequence, { length: sequence.nextTokenIndex, logits });
    }
    if (stopSequence === undefined) text = this.model.detokenize(generated);
    const completion: Completion = {
      text,
      finishReason,
      completionTokens: generated.length + (finishReason === "stop" && stopSequence === undefined ? 1 : 0),
    };
    if (stopSequence !== undefined) completion.stopSequence = stopSequence;
    if (params.logprobs) completion.logprobs = logprobs;
    return completion;
  }

  private describeToken(
    token: Token,
    logits: Logits,
    norm: number,
    top: number,
    include: Set<string>,
  ): TokenLogprob {
    const entry: TokenLogprob = {
      token: this.model.detokenize([token], true),
      logprob: tokenLogprob(logits, token, norm),
    };
    if (top > 0 || include.size > 0) {
      const alternatives: Record<string, number> = {};
      for (const [t, lp] of topLogprobs(logits, top, norm)) {
        // Byte-fallback tokens can spell the same text as a regular token: keep the likelier one.
        const text = this.model.detokenize([t as Token], true);
        if (!(text in alternatives)) alternatives[text] = lp;
      }
      for (const text of include) {
        const ids = this.model.tokenize(text, true);
        if (ids.length === 1) alternatives[text] = tokenLogprob(logits, ids[0] as number, norm);
      }
      entry.top = alternatives;
    }
    return entry;
  }
}

interface GenerationParams {
  sampling: SamplingOptions;
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
