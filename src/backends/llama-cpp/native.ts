import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { ModelLoadError } from "../../core/errors.js";

/**
 * The parts of node-llama-cpp's native layer that the embedded backend drives directly.
 *
 * node-llama-cpp's public generation API creates one sampler per `evaluate` call and returns
 * either the sampled token alone or full-vocabulary maps. deliberate needs one seeded sampler per
 * sample, a batched decode step for every live sequence, and the raw log-probability of the sampled
 * token without copying V logits into JavaScript. The addon has all of that (`AddonSampler`,
 * `sampleToken` with a logit filter and the log-normaliser, a sequence's queued `_decodeTokens`),
 * only not exported. {@link NativeLayer.open} checks every member it uses once, so a
 * node-llama-cpp release that changes them fails at load with a clear error instead of mid-run.
 */

/** Sampling parameters applied by llama.cpp's sampler chain: top-k → top-p → min-p → temperature. */
export interface NativeSamplingOptions {
  /** 0 = greedy (argmax; ties go to the lowest token id). */
  temperature: number;
  /** Keep the k most likely tokens; 0 keeps all (no sort of the vocabulary). */
  topK: number;
  /** Keep the smallest set of most likely tokens whose raw probability reaches p; 1 keeps all. */
  topP: number;
  /** Drop tokens whose raw probability is below minP × the top token's; 0 keeps all. */
  minP: number;
  /** Seed of this sample's random stream (32-bit). */
  seed: number;
}

/** Raw (pre-temperature, untruncated) log-probabilities at one position. */
export interface PositionLogprobs {
  /** log Σ exp(logits): the normaliser of the raw distribution. */
  logNormaliser: number;
  /** Raw logits of the tokens asked for by id. */
  logits: Map<number, number>;
  /** The `top` most likely tokens with their raw log-probabilities, most likely first. */
  top: [Token, number][];
}

interface AddonSampler {
  applyConfig(config: Record<string, number>): void;
  dispose(): void;
}

type SampleResult = [
  token: number,
  probabilities: unknown,
  confidence: unknown,
  logits?: number[],
  weight?: number,
];

interface AddonContext {
  sampleToken(index: number, sampler: AddonSampler): Promise<number>;
  sampleToken(
    index: number,
    sampler: AddonSampler,
    probabilities: boolean,
    confidence: boolean,
    logits: [
      tokens: number[],
      includeMax: boolean,
      includeMin: boolean,
      includeSelected: boolean,
      top: number,
    ],
    totalLogitWeight: boolean,
  ): Promise<SampleResult>;
}

interface InternalSequence {
  _decodeTokens<T>(
    tokens: Token[],
    logits: boolean[],
    priority: number,
    meter: unknown,
    contextShift: unknown,
    read: (batchLogitIndex: number, tokenIndex: number) => Promise<T>,
    afterBatch?: unknown,
  ): Promise<(T | undefined)[]>;
  _tokenMeter: unknown;
  _contextShift: unknown;
  _takeIntervalCheckpointIfNeededAfterBatch?: unknown;
}

/** A native llama.cpp sampler chain with its own random stream (one per sample). */
export class NativeSampler {
  constructor(
    private readonly native: NativeLayer,
    readonly addon: AddonSampler,
    readonly temperature: number,
  ) {}

  /** Draws the next token from the logits at `batchLogitIndex` of the last decoded batch. */
  sample(batchLogitIndex: number): Promise<number> {
    return this.native.context.sampleToken(batchLogitIndex, this.addon);
  }

  /**
   * Draws the next token and also returns its raw logit. The chain divides logits by the
   * temperature in place, so the logit read back is multiplied by it again.
   */
  async sampleWithLogit(batchLogitIndex: number): Promise<{ token: number; logit: number }> {
    const [token, , , logits] = await this.native.context.sampleToken(
      batchLogitIndex,
      this.addon,
      false,
      false,
      [[], false, false, true, 0],
      false,
    );
    const value = logitOf(logits, token);
    return { token, logit: this.temperature > 0 ? value * this.temperature : value };
  }

  dispose(): void {
    this.addon.dispose();
  }
}

/** Access to the addon objects of one loaded model and context. */
export class NativeLayer {
  private constructor(
    readonly context: AddonContext,
    private readonly newAddonSampler: () => AddonSampler,
  ) {}

  /** Finds the addon members this module uses; throws {@link ModelLoadError} when one is missing. */
  static open(model: LlamaModel, context: LlamaContext, sequence: LlamaContextSequence): NativeLayer {
    const internals = model as unknown as {
      _model?: unknown;
      _llama?: { _bindings?: { AddonSampler?: new (model: unknown) => AddonSampler } };
    };
    const addonContext = (context as unknown as { _ctx?: AddonContext })._ctx;
    const Sampler = internals._llama?._bindings?.AddonSampler;
    const seq = sequence as unknown as Partial<InternalSequence>;
    if (
      internals._model === undefined ||
      typeof Sampler !== "function" ||
      typeof addonContext?.sampleToken !== "function" ||
      typeof seq._decodeTokens !== "function"
    ) {
      throw new ModelLoadError(
        "this node-llama-cpp version lacks the native sampling interface the embedded backend uses",
        { hint: "install the node-llama-cpp version named in deliberate's package.json" },
      );
    }
    orderBatchesBySequence(context as unknown as BatchHolder);
    return new NativeLayer(addonContext!, () => new Sampler(internals._model));
  }

  /** A sampler for one sample: its own seeded random stream, llama.cpp's sampler chain. */
  sampler(options: NativeSamplingOptions): NativeSampler {
    const addon = this.newAddonSampler();
    const config: Record<string, number> = { temperature: Math.max(0, options.temperature) };
    if (options.temperature > 0) {
      // Only the stages that change something: node-llama-cpp turns topK 0 into k = V, a sort of
      // the whole vocabulary per token.
      if (options.topK > 0) config.topK = options.topK;
      if (options.topP < 1) config.topP = options.topP;
      if (options.minP > 0) config.minP = options.minP;
      config.seed = options.seed >>> 0;
    }
    addon.applyConfig(config);
    return new NativeSampler(this, addon, options.temperature);
  }

  /**
   * A reader of raw log-probabilities. Each call makes one linear pass over the vocabulary (the
   * normaliser and the asked tokens' logits) and, with `top` > 0, one partial sort for the top-k.
   * A reader keeps a V-sized buffer: one per concurrently decoding sequence.
   */
  logprobReader(): LogprobReader {
    return new LogprobReader(this.context, this.newAddonSampler(), this.newAddonSampler);
  }

  /**
   * Decodes `tokens` into `sequence` in the context's next batch (node-llama-cpp merges the
   * decodes of all sequences that are queued at the same time into one llama.cpp batch) and calls
   * `read` for each position where `wantLogits` is true, while that batch's logits are valid.
   */
  async decode<T>(
    sequence: LlamaContextSequence,
    tokens: Token[],
    wantLogits: (index: number) => boolean,
    read: (batchLogitIndex: number, index: number) => Promise<T>,
  ): Promise<(T | undefined)[]> {
    const seq = sequence as unknown as InternalSequence;
    const logits = tokens.map((_, i) => wantLogits(i));
    // The caller owns the sequence exclusively (SequencePool), so node-llama-cpp's per-sequence
    // evaluation lock has nothing to guard against here.
    return seq._decodeTokens(
      tokens,
      logits,
      5,
      seq._tokenMeter,
      seq._contextShift,
      read,
      seq._takeIntervalCheckpointIfNeededAfterBatch,
    );
  }
}

/** Reads raw log-probabilities at a decoded position (see {@link NativeLayer.logprobReader}). */
export class LogprobReader {
  private topSampler: AddonSampler | undefined;
  private topK = 0;

  constructor(
    private readonly context: AddonContext,
    private readonly greedy: AddonSampler,
    private readonly newSampler: () => AddonSampler,
  ) {
    // A greedy chain leaves the logits untouched, so what it reports is the raw distribution; its
    // selected token is the argmax, whose logit is the maximum the normaliser is taken against.
    greedy.applyConfig({ temperature: 0 });
  }

  /**
   * Raw log-normaliser, the raw logits of `tokens`, and the `top` most likely tokens at
   * `batchLogitIndex`.
   */
  async read(batchLogitIndex: number, tokens: number[], top: number): Promise<PositionLogprobs> {
    const [normalised, best] = await Promise.all([
      this.context.sampleToken(
        batchLogitIndex,
        this.greedy,
        false,
        false,
        [tokens, false, false, true, 0],
        true,
      ),
      top > 0 ? this.readTop(batchLogitIndex, top) : Promise.resolve([]),
    ]);
    const [argmax, , , values, weight] = normalised;
    if (values === undefined || weight === undefined) throw new Error("llama.cpp returned no logits");
    const logits = new Map<number, number>();
    for (let i = 0; i < values.length; i += 2) logits.set(values[i]!, values[i + 1]!);
    const logNormaliser = logits.get(argmax)! + Math.log(weight);
    return {
      logNormaliser,
      logits,
      top: best.map(([token, logit]) => [token as Token, logit - logNormaliser]),
    };
  }

  private async readTop(batchLogitIndex: number, top: number): Promise<[number, number][]> {
    if (this.topSampler === undefined || this.topK !== top) {
      this.topSampler?.dispose();
      this.topSampler = this.newSampler();
      // top-k then temperature 1 (which leaves logits unchanged): the chain's partial sort is
      // linear in V, unlike a full sort of the vocabulary.
      this.topSampler.applyConfig({ temperature: 1, topK: top, seed: 0 });
      this.topK = top;
    }
    const [, , , values] = await this.context.sampleToken(
      batchLogitIndex,
      this.topSampler,
      false,
      false,
      [[], false, false, false, top],
      false,
    );
    const pairs: [number, number][] = [];
    for (let i = 0; values !== undefined && i < values.length; i += 2)
      pairs.push([values[i]!, values[i + 1]!]);
    return pairs;
  }

  dispose(): void {
    this.greedy.dispose();
    this.topSampler?.dispose();
  }
}

/** The logit of `token` in a flat `[token, logit, token, logit, …]` array from the addon. */
function logitOf(values: number[] | undefined, token: number): number {
  for (let i = 0; values !== undefined && i < values.length; i += 2) {
    if (values[i] === token) return values[i + 1]!;
  }
  throw new Error(`llama.cpp returned no logit for token ${token}`);
}

/** The batch calls node-llama-cpp's dispatcher makes on a context's addon object. */
export interface BatchingAddon {
  initBatch(size: number): void;
  addToBatch(sequence: number, firstPosition: number, tokens: Uint32Array, logits: Uint32Array): Uint32Array;
  decodeBatch(): Promise<void>;
}

export interface BatchHolder {
  _ctx: BatchingAddon & Record<PropertyKey, unknown>;
}

/**
 * Makes every llama.cpp batch of `context` list its tokens in ascending sequence order.
 *
 * node-llama-cpp adds the queued decodes of a step in the order they arrived, which is the order in
 * which the previous step's draws finished: a different shuffle each step. llama.cpp then computes
 * the batch in smaller pieces (with a KV cache per sequence it splits the batch by runs of sequences),
 * and the output projection runs as several narrow matrix products instead of one: measured at
 * n=32 (bench/decode-cost.ts with the batch shuffled), decoding cost 1.64 instead of 1.13 ms of CPU
 * per token at a 151,936-token vocabulary and 270 instead of 223 µs at 278 tokens.
 *
 * The dispatcher's calls are held until `decodeBatch`, then made sorted by sequence. `addToBatch`
 * must return the positions of the batch's logits at once; it returns an array that is filled in
 * before the decode starts, which is when the dispatcher first reads it.
 */
export function orderBatchesBySequence(holder: BatchHolder): void {
  const real = holder._ctx;
  let size = 0;
  let pending: {
    sequence: number;
    firstPosition: number;
    tokens: Uint32Array;
    logits: Uint32Array;
    indexes: Uint32Array;
  }[] = [];
  const ordered: BatchingAddon = {
    initBatch(batchSize) {
      size = batchSize;
      pending = [];
    },
    addToBatch(sequence, firstPosition, tokens, logits) {
      const indexes = new Uint32Array(logits.length);
      pending.push({ sequence, firstPosition, tokens, logits, indexes });
      return indexes;
    },
    async decodeBatch() {
      // Stable sort: two decodes of one sequence keep their order.
      const items = pending.sort((a, b) => a.sequence - b.sequence);
      pending = [];
      real.initBatch(size);
      for (const item of items) {
        item.indexes.set(real.addToBatch(item.sequence, item.firstPosition, item.tokens, item.logits));
      }
      return real.decodeBatch();
    },
  };
  holder._ctx = new Proxy(real, {
    get(target, key) {
      if (key === "initBatch" || key === "addToBatch" || key === "decodeBatch") return ordered[key];
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
