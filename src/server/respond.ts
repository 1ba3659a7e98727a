import type { TokenLogprob } from "../core/model.js";
import { emptyUsage } from "../core/usage.js";
import type { Endpoint } from "./body.js";
import type { Outcome } from "./execute.js";
import type { Plan } from "./plan.js";
import {
  chatLogprobs,
  completionLogprobs,
  type DeliberateExtension,
  strategyExtension,
  strategyFinish,
  wireFinish,
  wireUsage,
} from "./shapes.js";

/** What every answer object of one request repeats. */
export interface AnswerMeta {
  id: string;
  /** The model name the client sent, echoed back. */
  model: string;
  created: number;
  endpoint: Endpoint;
}

/** One choice of an answer, before it takes its wire form. */
export interface AnswerChoice {
  index: number;
  text: string;
  finishReason: "stop" | "length";
  /** The sampled tokens' log-probabilities, when the request asked for them. */
  logprobs?: TokenLogprob[];
}

/** A choice, or a piece of one, to put on the wire. */
export interface ChoicePart {
  index: number;
  /** Text (a stream's delta); null in a stream's finishing chunk. */
  text: string | null;
  /** Null while a stream's choice is still going. */
  finishReason: WireFinishReason;
  /** Already in the endpoint's logprobs shape; streams send none. */
  logprobs?: unknown;
  /** Announce the assistant role (a chat stream's first chunk). */
  role?: boolean;
}

type WireFinishReason = "stop" | "length" | null;

/** A choice on the wire: a chat message, a chat delta, or a completions text. */
export type WireChoice =
  | {
      index: number;
      message: { role: "assistant"; content: string };
      logprobs: unknown;
      finish_reason: WireFinishReason;
    }
  | {
      index: number;
      delta: { role?: "assistant"; content?: string };
      logprobs: null;
      finish_reason: WireFinishReason;
    }
  | { index: number; text: string; logprobs: unknown; finish_reason: WireFinishReason };

/**
 * The one choice shaper of both endpoints: `form` "message" for a whole answer, "delta" for a
 * stream chunk. Chat choices carry a `message` or a `delta`, completions choices carry `text`.
 */
export function wireChoice(endpoint: Endpoint, form: "message" | "delta", part: ChoicePart): WireChoice {
  const logprobs = form === "message" ? (part.logprobs ?? null) : null;
  const finish_reason = part.finishReason;
  if (endpoint === "completions")
    return { index: part.index, text: part.text ?? "", logprobs, finish_reason };
  if (form === "message") {
    return {
      index: part.index,
      message: { role: "assistant" as const, content: part.text ?? "" },
      logprobs,
      finish_reason,
    };
  }
  const delta = finish_reason
    ? {}
    : { ...(part.role ? { role: "assistant" as const } : {}), content: part.text ?? "" };
  return { index: part.index, delta, logprobs: null, finish_reason };
}

/** The choices of an outcome: the strategy's chosen answer, or each plain completion. */
export function answerChoices(outcome: Outcome, plan: Plan): AnswerChoice[] {
  if (outcome.kind === "strategy") {
    return [{ index: 0, text: outcome.result.output, finishReason: strategyFinish(outcome.result) }];
  }
  return outcome.completions.map((completion, index) => ({
    index,
    text: completion.text,
    finishReason: wireFinish(completion.finishReason),
    ...(plan.logprobs && completion.logprobs ? { logprobs: completion.logprobs } : {}),
  }));
}

/** The `deliberate` extension object of an outcome. */
export function answerExtension(outcome: Outcome, plan: Plan): DeliberateExtension {
  if (outcome.kind === "strategy") return strategyExtension(outcome.result, plan.includeCandidates);
  return {
    strategy: null,
    num_candidates: outcome.completions.length,
    chosen: -1,
    stop_reason: outcome.completions.some((c) => c.finishReason === "abort") ? "aborted" : "completed",
    wall_ms: Math.round(outcome.wallMs),
    usage: { policy: outcome.usage, scorer: emptyUsage() },
  };
}

/** The whole (non-streamed) answer: `chat.completion` or `text_completion`. */
export function answerBody(meta: AnswerMeta, outcome: Outcome, plan: Plan) {
  const promptLength = typeof plan.prompt === "string" ? plan.prompt.length : 0;
  const choices = answerChoices(outcome, plan).map((choice) =>
    wireChoice(meta.endpoint, "message", {
      index: choice.index,
      text: choice.text,
      finishReason: choice.finishReason,
      logprobs: choice.logprobs
        ? meta.endpoint === "chat"
          ? chatLogprobs(choice.logprobs)
          : completionLogprobs(choice.logprobs, promptLength)
        : null,
    }),
  );
  return {
    ...envelope(meta, meta.endpoint === "chat" ? "chat.completion" : "text_completion"),
    choices,
    usage: wireUsage(outcome.usage),
    deliberate: answerExtension(outcome, plan),
  };
}

/**
 * One stream chunk: `chat.completion.chunk` or `text_completion`. With `include_usage`, every chunk
 * but the last carries `"usage": null`, as OpenAI's do; `extra` adds (or overrides) fields.
 */
export function chunkBody(
  meta: AnswerMeta,
  choices: WireChoice[],
  includeUsage: boolean,
  extra: Record<string, unknown> = {},
) {
  return {
    ...envelope(meta, meta.endpoint === "chat" ? "chat.completion.chunk" : "text_completion"),
    choices,
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  };
}

/** The fields every answer and chunk starts with, in OpenAI's order. */
function envelope(meta: AnswerMeta, object: string) {
  return { id: meta.id, object, created: meta.created, model: meta.model };
}
