import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { abortError, type Cancellation } from "./cancellation.js";
import type { ServerConfig } from "./config.js";
import { ApiError, toApiError } from "./errors.js";
import { type ExecEvent, execute } from "./execute.js";
import type { ServerLifecycle } from "./lifecycle.js";
import type { RequestRecord } from "./options.js";
import type { Plan } from "./plan.js";
import type { ServerEnv } from "./record.js";
import {
  type AnswerMeta,
  answerChoices,
  answerExtension,
  chunkBody,
  type WireChoice,
  wireChoice,
} from "./respond.js";
import { chunkText, wireUsage } from "./shapes.js";

/** One streamed request: what it runs and where it reports. */
export interface StreamRequest {
  plan: Plan;
  meta: AnswerMeta;
  record: RequestRecord;
  cancel: Cancellation;
  /** `stream_options.include_usage`: a last chunk with the usage. */
  includeUsage: boolean;
}

/**
 * Answers a request with server-sent events (docs/server.md, "Streaming"): a role chunk per chat
 * choice, progress comments while it waits and runs, the answer's text, a finishing chunk with the
 * `deliberate` extension, the usage chunk when asked, `[DONE]`. An error after the stream started is
 * a `data: {"error": …}` event. The stream records itself (metrics, request record) when it ends.
 */
export function streamAnswer(
  c: Context<ServerEnv>,
  request: StreamRequest,
  config: ServerConfig,
  lifecycle: ServerLifecycle,
): Response {
  const { plan, meta, record, cancel, includeUsage } = request;
  const signal = cancel.signal;
  const started = performance.now();
  const done = lifecycle.track();
  const slot = lifecycle.queue.acquire(signal);
  slot.catch(() => {});
  record.stream = true;
  c.set("streaming", true);
  c.header("x-accel-buffering", "no");
  const response = streamSSE(c, async (stream) => {
    const out = new EventWriter(stream);
    const chunk = (choices: WireChoice[], extra?: Record<string, unknown>) =>
      out.data(chunkBody(meta, choices, includeUsage, extra));
    const delta = (
      index: number,
      text: string | null,
      finishReason: "stop" | "length" | null,
      role = false,
    ) => wireChoice(meta.endpoint, "delta", { index, text, finishReason, role });
    let release: (() => void) | undefined;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    const progress = { calls: 0, completionTokens: 0 };
    try {
      if (meta.endpoint === "chat") for (let i = 0; i < plan.n; i++) chunk([delta(i, "", null, true)]);
      const { queue } = lifecycle;
      if (queue.queued > 0 && queue.inFlight >= queue.concurrency)
        out.comment(`queued position=${queue.queued}`);
      release = await slot;
      out.comment(`progress started strategy=${plan.strategy?.spec ?? "none"}`);
      heartbeat = setInterval(() => {
        out.comment(
          `progress elapsed_ms=${Math.round(performance.now() - started)} calls=${progress.calls} completion_tokens=${progress.completionTokens}`,
        );
      }, config.heartbeatMs);
      // A plain request's text is passed on as the backend generates it (when it streams: the
      // OpenAI-compatible backend does); what it did not stream is sent at the end.
      const streamed: string[] = [];
      const onText = (index: number, text: string) => {
        streamed[index] = (streamed[index] ?? "") + text;
        chunk([delta(index, text, null)]);
      };
      const onEvent = (event: ExecEvent) => {
        if (event.type === "usage") {
          progress.calls++;
          progress.completionTokens += event.usage.completionTokens;
        }
        out.comment(progressComment(event, progress));
      };
      const outcome = await execute(plan, config, {
        signal,
        onUsage: lifecycle.usageSink(record),
        onEvent,
        ...(plan.strategy ? {} : { onText }),
      });
      clearInterval(heartbeat);
      record.usage = outcome.usage;
      if (outcome.kind === "strategy") record.stopReason = outcome.result.stopReason;
      if (signal.aborted) throw abortError(cancel, record);
      const choices = answerChoices(outcome, plan);
      for (const choice of choices) {
        const sent = streamed[choice.index] ?? "";
        const rest = choice.text.startsWith(sent) ? choice.text.slice(sent.length) : choice.text;
        for (const piece of chunkText(rest)) chunk([delta(choice.index, piece, null)]);
      }
      const extension = answerExtension(outcome, plan);
      choices.forEach((choice, i) => {
        const last = i === choices.length - 1;
        chunk([delta(choice.index, null, choice.finishReason)], last ? { deliberate: extension } : {});
      });
      if (includeUsage) chunk([], { usage: wireUsage(outcome.usage) });
      out.done();
      record.status = 200;
    } catch (error) {
      const apiError = signal.aborted ? abortError(cancel, record) : toApiError(error);
      if (!(error instanceof ApiError) && apiError.status >= 500 && !signal.aborted) console.error(error);
      record.status = apiError.status;
      out.data(apiError.body());
      out.done();
    } finally {
      clearInterval(heartbeat);
      release?.();
      lifecycle.observe(record.endpoint, record.status, (performance.now() - started) / 1000, record);
      cancel.dispose();
      done();
    }
  });
  response.headers.set("content-type", "text/event-stream; charset=utf-8");
  return response;
}

/** The comment line of a progress event. */
function progressComment(event: ExecEvent, progress: { calls: number; completionTokens: number }): string {
  if (event.type === "usage")
    return `progress calls=${progress.calls} completion_tokens=${progress.completionTokens}`;
  if (event.type === "candidate") {
    const c = event.candidate;
    const score = c.score !== undefined ? ` score=${c.score}` : "";
    return `candidate index=${event.index} answer=${JSON.stringify(c.answer)} tokens=${c.completionTokens} finish=${c.finishReason}${score}`;
  }
  return `progress ${event.message} completion_tokens=${event.completionTokens}`;
}

/**
 * Writes SSE events in the order they are made. `writeSSE` resolves its data before writing, so a
 * comment written while it waits would overtake it; every event here is one synchronous `write`
 * instead (the stream queues them, and drops them once the client is gone).
 */
class EventWriter {
  constructor(private readonly stream: SSEStreamingApi) {}

  /** A comment line, which clients skip (progress). */
  comment(text: string): void {
    void this.stream.write(`: ${text.replace(/[\r\n]+/g, " ")}\n\n`);
  }

  /** A `data:` event with a JSON payload (JSON has no raw line breaks: one line). */
  data(payload: unknown): void {
    void this.stream.write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  /** The end marker OpenAI clients wait for. */
  done(): void {
    void this.stream.write("data: [DONE]\n\n");
  }
}
