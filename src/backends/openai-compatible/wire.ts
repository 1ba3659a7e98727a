import type { TokenLogprob } from "../../core/model.js";

/** The parts of an OpenAI-style choice that deliberate reads (completions and chat endpoints). */
export interface WireChoice {
  index?: number;
  text?: string;
  message?: { content?: string | null };
  finish_reason?: string | null;
  /** vLLM: the stop string that ended the choice, a stop token id, or null at end of text. */
  stop_reason?: string | number | null;
  /** SGLang: the matched stop string, or the stop token id. */
  matched_stop?: string | number | null;
  logprobs?: WireLogprobs | null;
}

interface WireTopEntry {
  token: string;
  logprob: number;
}

/** One entry of the chat / llama.cpp logprob shape. */
export interface WireContentEntry {
  token: string;
  logprob: number;
  /** llama.cpp's server: the token's bytes (empty for an end-of-generation token). */
  bytes?: number[] | null;
  top_logprobs?: WireTopEntry[];
}

/** Either the chat/llama.cpp shape (`content`) or the legacy completions shape (`tokens`, …). */
export interface WireLogprobs {
  content?: WireContentEntry[] | null;
  tokens?: string[];
  token_logprobs?: (number | null)[];
  top_logprobs?: (Record<string, number> | null)[] | null;
  text_offset?: number[];
}

/** Usage as servers report it. */
export interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

/**
 * llama.cpp's server with `"verbose": true`: the native result of the first choice, including how it
 * stopped (`stop_type` `eos` | `word` | `limit`, `stopping_word`) and its exact generated count.
 */
export interface LlamaVerbose {
  stop_type?: string;
  stopping_word?: string;
  /** Tokens generated; streamed, every chunk carries the count so far. */
  tokens_predicted?: number;
  tokens_evaluated?: number;
}

export interface WireResponse {
  choices?: WireChoice[];
  usage?: WireUsage;
  __verbose?: LlamaVerbose;
  /**
   * Not on the wire: llama.cpp's `__verbose` of each choice of a streamed answer, where every choice
   * (a task of its own) sends its own.
   */
  verboseByChoice?: (LlamaVerbose | undefined)[];
}

/** The text of a choice from either endpoint, or null when there is none. */
export function choiceText(choice: WireChoice): string | null {
  const text = choice.text ?? choice.message?.content ?? null;
  return typeof text === "string" ? text : null;
}

/** Per-token logprobs from either wire shape. */
export function parseLogprobs(logprobs: WireLogprobs | null | undefined): TokenLogprob[] | undefined {
  if (!logprobs) return undefined;
  if (logprobs.content) {
    return logprobs.content.map((entry) => {
      const out: TokenLogprob = { token: entry.token, logprob: entry.logprob };
      if (entry.top_logprobs?.length) {
        out.top = Object.fromEntries(entry.top_logprobs.map((t) => [t.token, t.logprob]));
      }
      return out;
    });
  }
  if (logprobs.tokens) {
    return logprobs.tokens.map((token, i) => {
      const out: TokenLogprob = { token, logprob: logprobs.token_logprobs?.[i] ?? Number.NaN };
      const top = logprobs.top_logprobs?.[i];
      if (top) out.top = { ...top };
      return out;
    });
  }
  return undefined;
}

/**
 * True when a llama.cpp logprob entry is an end-of-generation token: the server lists it with an
 * empty piece (special tokens are not rendered) and no bytes.
 */
export function isEndOfGenerationEntry(entry: WireContentEntry | undefined): boolean {
  return entry !== undefined && entry.token === "" && (entry.bytes?.length ?? 0) === 0;
}

interface StreamChoice {
  text: string;
  finish: string | null;
  stopReason?: string | number | null;
  matchedStop?: string | number | null;
  /** Events that carried text: the tokens seen, when nothing better is known. */
  pieces: number;
}

/** One streamed event's parts that deliberate reads (completions and chat chunks). */
interface WireStreamEvent {
  choices?: (WireChoice & { delta?: { content?: string | null } })[];
  usage?: WireUsage | null;
  __verbose?: LlamaVerbose;
  /** llama.cpp's server with `return_progress`: the prompt's tokens and those found in the cache. */
  prompt_progress?: { total?: number; cache?: number };
}

/**
 * Assembles a server-sent event stream of completion chunks into the answer a non-streamed request
 * would have had: per choice its text, finish reason and stop fields; the usage and llama.cpp's
 * `__verbose` wherever they came. A choice whose stream was cut off finishes with `abort`.
 */
export class StreamAssembly {
  private readonly choices = new Map<number, StreamChoice>();
  private usage: WireUsage | undefined;
  private verbose: LlamaVerbose | undefined;
  private readonly verboseByChoice: (LlamaVerbose | undefined)[] = [];
  private prompt: { total?: number; cache?: number } | undefined;

  constructor(private readonly onText?: (index: number, text: string) => void) {}

  /** True once an event arrived. */
  started = false;

  add(raw: unknown): void {
    this.started = true;
    const event = raw as WireStreamEvent;
    if (event.usage) this.usage = event.usage;
    if (event.prompt_progress) this.prompt = event.prompt_progress;
    if (event.__verbose) {
      this.verbose ??= event.__verbose;
      const index = event.choices?.[0]?.index;
      if (index !== undefined) this.verboseByChoice[index] = event.__verbose;
    }
    for (const c of event.choices ?? []) {
      const index = c.index ?? 0;
      let choice = this.choices.get(index);
      if (!choice) {
        choice = { text: "", finish: null, pieces: 0 };
        this.choices.set(index, choice);
      }
      const piece = c.text ?? c.delta?.content ?? "";
      if (piece) {
        choice.text += piece;
        choice.pieces++;
        this.onText?.(index, piece);
      }
      if (c.finish_reason) choice.finish = c.finish_reason;
      if (c.stop_reason !== undefined) choice.stopReason = c.stop_reason;
      if (c.matched_stop !== undefined) choice.matchedStop = c.matched_stop;
    }
  }

  /** The answer so far as a {@link WireResponse} of `n` choices, and the pieces seen per choice. */
  response(n: number): { response: WireResponse; pieces: number[] } {
    const choices: WireChoice[] = [];
    const pieces: number[] = [];
    for (let index = 0; index < n; index++) {
      const c = this.choices.get(index) ?? { text: "", finish: null, pieces: 0 };
      choices.push({
        index,
        text: c.text,
        finish_reason: c.finish ?? "abort",
        ...(c.stopReason !== undefined ? { stop_reason: c.stopReason } : {}),
        ...(c.matchedStop !== undefined ? { matched_stop: c.matchedStop } : {}),
      });
      pieces.push(c.pieces);
    }
    return {
      response: {
        choices,
        // Cut off before the usage came: the prompt as the server reported its progress.
        ...(this.usage
          ? { usage: this.usage }
          : this.prompt?.total !== undefined
            ? {
                usage: {
                  prompt_tokens: this.prompt.total,
                  prompt_tokens_details: { cached_tokens: this.prompt.cache ?? 0 },
                },
              }
            : {}),
        ...(this.verbose ? { __verbose: this.verbose } : {}),
        verboseByChoice: this.verboseByChoice,
      },
      pieces,
    };
  }
}
