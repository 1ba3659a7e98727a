import { setMaxListeners } from "node:events";
import path from "node:path";
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { AbortedError, ConfigError } from "../../core/errors.js";
import type {
  Completion,
  CompletionRequest,
  CompletionResponse,
  LanguageModel,
  ModelCapabilities,
  ScoreRequest,
  ScoreResponse,
  TokenLogprob,
} from "../../core/model.js";
import type { Prompt } from "../../core/prompt.js";
import { emptyUsage, type Usage } from "../../core/usage.js";
import { randomSeed, validateCompletionRequest } from "../../core/validate.js";
import { ChatTemplate } from "./chat-template.js";
import { type GenerationParams, generateSample } from "./generate.js";
import { type LlamaCppOptions, loadContext } from "./load.js";
import { NativeLayer } from "./native.js";
import { reuseLongestPrefix } from "./prefix-reuse.js";
import { SequencePool } from "./sequence-pool.js";
import { describeToken, singleTokenIds } from "./token-logprobs.js";

/**
 * The embedded backend: a GGUF model run in-process by llama.cpp through node-llama-cpp.
 *
 * `n` samples are decoded in parallel as sequences of one context, every live sequence in one
 * llama.cpp batch per step. The prompt is evaluated once and its KV state copied to the other
 * sequences. Each sample draws its tokens with its own native sampler seeded `seed + i`, so sample
 * `i` of `n` is reproducible and equals the single sample of seed `seed + i`; log-probabilities,
 * when asked for, are those of the unmodified distribution.
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
    const { model, context, sequences, file } = await loadContext(options);
    return new LlamaCppModel(model, context, sequences, file);
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
      signal: undefined,
    };
    const shared = groupSignal(request.signal, n > this.capabilities.maxParallel);
    params.signal = shared.signal;
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
    const completions = await Promise.all(groups)
      .then((done) => done.flat())
      .finally(shared.dispose);
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
    const include = singleTokenIds(this.model, request.includeTokens ?? []);
    const top = request.topLogprobs ?? 0;
    const [sequence] = await this.pool.acquire(1, all, request.signal);
    const reader = this.native.logprobReader();
    try {
      // Positions prompt.length-1 … all.length-2 predict the continuation's tokens; the position
      // before the first of them is evaluated again when it is cached, for its logits.
      const firstWanted = prompt.length - 1;
      const kept = await reuseLongestPrefix(sequence!, this.sequences, all, firstWanted);
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
        return describeToken(this.model, token, position, include);
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
   * Generates `size` samples (seeds `seed + first …`) in as many sequences. The leader evaluates
   * all but the prompt's last token; every other sequence gets that KV state copied from it. Then
   * every sequence evaluates the last token itself, in one batch, so each sample draws its first
   * token natively from its own logits while the prompt is evaluated once. The copies are made
   * before any sample starts: a copy waits for the context, and a sequence already generating would
   * hold the context until it finished, which would run the samples one after another.
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
      const kept = await reuseLongestPrefix(leader, this.sequences, prompt, last);
      // The first group's leader evaluates the prompt; a later group's only what its cache lacks.
      onEvaluated(first === 0 ? prompt.length - kept : last - kept);
      if (kept < last && !params.signal?.aborted) {
        await this.native.decode(
          leader,
          prompt.slice(kept, last),
          () => false,
          async () => undefined,
        );
      }
      const inputs: Token[][] = [prompt.slice(last)];
      for (const sequence of sequences.slice(1)) {
        const own = await reuseLongestPrefix(sequence, this.sequences, prompt, last);
        onEvaluated(last - own);
        inputs.push(prompt.slice(own));
      }
      return await Promise.all(
        sequences.map((sequence, i) =>
          generateSample(
            this.model,
            this.native,
            { sequence, input: inputs[i]!, seed: params.seed + first + i },
            params,
            usage,
          ),
        ),
      );
    } finally {
      this.pool.release(sequences);
    }
  }
}

/**
 * The signal the groups of one request wait on. With several groups, one listener on the caller's
 * signal feeds a signal of the request's own, which may have a listener per waiting group without
 * Node warning of a leak (a request of n = 256 on 8 sequences has 31 groups waiting at once).
 * `dispose` removes that listener when the request is done.
 */
function groupSignal(
  signal: AbortSignal | undefined,
  several: boolean,
): { signal: AbortSignal | undefined; dispose: () => void } {
  if (!signal || !several) return { signal, dispose: () => {} };
  const own = new AbortController();
  setMaxListeners(0, own.signal);
  const forward = () => own.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener("abort", forward, { once: true });
  return { signal: own.signal, dispose: () => signal.removeEventListener("abort", forward) };
}
