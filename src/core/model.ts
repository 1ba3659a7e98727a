import type { Prompt } from "./prompt.js";
import type { Usage } from "./usage.js";

/** Sampling and stopping parameters of one generation request. */
export interface CompletionRequest {
  prompt: Prompt;
  /**
   * Text the assistant has already written: generation continues right after it (step-wise search
   * continues a partial solution this way). Not part of the returned text.
   */
  prefix?: string;
  /** Number of independent samples. Backends decode them in parallel where they can. */
  n?: number;
  /** 0 means greedy. */
  temperature?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 keeps all). */
  topP?: number;
  /** Keep the k most likely tokens (0 keeps all). */
  topK?: number;
  /** Drop tokens less likely than minP × the most likely token's probability (0 keeps all). */
  minP?: number;
  maxTokens?: number;
  /** Generation stops before any of these strings; the matched one is reported, not returned. */
  stop?: string[];
  /** Sample `i` of a request uses seed `seed + i`, so `n=1` with seed `s` reproduces sample 0. */
  seed?: number;
  /** Return the log-probability of every generated token. */
  logprobs?: boolean;
  /** With `logprobs`, also return this many top alternatives per position. */
  topLogprobs?: number;
  signal?: AbortSignal;
  /**
   * Called with each piece of text of sample `index` as it is generated, for callers that pass
   * tokens on (a streaming server). Backends that cannot stream never call it; the text is then only
   * in the response.
   */
  onText?: (index: number, text: string) => void;
}

/** One generated token with its log-probability (natural log). */
export interface TokenLogprob {
  token: string;
  logprob: number;
  /** Top alternatives at this position, token → logprob, when asked for. */
  top?: Record<string, number>;
}

/** Why a generation ended. */
export type FinishReason = "stop" | "length" | "abort";

/** One sample. */
export interface Completion {
  text: string;
  finishReason: FinishReason;
  /** The stop string that ended this sample (`finishReason` is then "stop"); absent at end of text. */
  stopSequence?: string;
  /** Tokens generated for this sample. */
  completionTokens: number;
  logprobs?: TokenLogprob[];
}

/** What a backend returns for one request. */
export interface CompletionResponse {
  completions: Completion[];
  usage: Usage;
}

/** Request to score a given continuation: the log-probability of each of its tokens. */
export interface ScoreRequest {
  prompt: Prompt;
  prefix?: string;
  continuation: string;
  /** Also return this many top alternatives per position. */
  topLogprobs?: number;
  /** Always report these tokens' logprobs in `top` at every position (e.g. a PRM's good/bad tokens). */
  includeTokens?: string[];
  signal?: AbortSignal;
}

/** Per-token log-probabilities of a continuation, as the model predicts it. */
export interface ScoreResponse {
  /** One entry per continuation token; `top` is the distribution that predicted that token. */
  tokens: TokenLogprob[];
  usage: Usage;
}

/** What a backend can do. Declared once per backend; strategies check, never guess. */
export interface ModelCapabilities {
  /** Returns logprobs of generated tokens. */
  logprobs: boolean;
  /**
   * Can score a given continuation. Invariant: `score` is present ⇔ this is true. `checkModelContract`
   * (src/core/wrap.ts) checks it where a model is opened, and every wrapped model holds it.
   */
  promptLogprobs: boolean;
  /** Sequences it decodes at once; strategies size their batches by it. */
  maxParallel: number;
  /** Accepts chat prompts. */
  chat: boolean;
}

/** A language model backend: embedded llama.cpp, an OpenAI-compatible server, or a router. */
export interface LanguageModel {
  /** Human-readable id, e.g. the model file name or the server's model name. */
  readonly id: string;
  readonly capabilities: ModelCapabilities;
  complete(request: CompletionRequest): Promise<CompletionResponse>;
  /**
   * Scores a continuation. Present exactly when `capabilities.promptLogprobs` (a model wrapped by
   * `wrapModel` always holds this; check `capabilities.promptLogprobs`, then call it).
   */
  score?(request: ScoreRequest): Promise<ScoreResponse>;
  /** Releases native memory, sockets and workers. */
  close(): Promise<void>;
}
