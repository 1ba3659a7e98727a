import type { ServerResponse } from "node:http";
import type { ServerDialect } from "./dialect-servers.js";

/**
 * Streams an answer as server-sent events the way the dialect does: one event per token piece, then
 * the finish (llama.cpp: with `__verbose` and, on /completions, the usage; vLLM: with `stop_reason`),
 * then a usage event when `stream_options.include_usage`, then `[DONE]`.
 */
export async function stream(
  res: ServerResponse,
  dialect: ServerDialect,
  chat: boolean,
  out: Record<string, unknown>,
  pieces: string[][],
  body: Record<string, unknown>,
  delayMs: number,
  onPiece: () => void,
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream" });
  let open = true;
  res.on("close", () => {
    open = false;
  });
  const send = (event: unknown) => {
    if (open) res.write(`data: ${JSON.stringify(event)}\n\n`);
  };
  const base = {
    id: out.id,
    object: chat ? "chat.completion.chunk" : "text_completion",
    created: 0,
    model: out.model,
  };
  const choices = out.choices as Record<string, unknown>[];
  const includeUsage = Boolean(
    (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage,
  );
  const usage = out.usage as { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
  const llama = dialect === "llama.cpp";
  for (const [index, list] of pieces.entries()) {
    if (chat)
      send({
        ...base,
        choices: [{ index, delta: { role: "assistant", content: null }, finish_reason: null }],
      });
    if (llama && body.return_progress) {
      // llama.cpp: prompt progress before the first token.
      const prompt_progress = {
        total: usage.prompt_tokens,
        cache: usage.prompt_tokens_details.cached_tokens,
      };
      send({ ...base, choices: [{ index, text: "", logprobs: null, finish_reason: null }], prompt_progress });
    }
    for (const [k, piece] of list.entries()) {
      if (!open) return;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (!open) return;
      const extra = dialect === "vllm" ? { stop_reason: null } : {};
      send({
        ...base,
        choices: [
          chat
            ? { index, delta: { content: piece }, logprobs: null, finish_reason: null, ...extra }
            : { index, text: piece, logprobs: null, finish_reason: null, ...extra },
        ],
        // llama.cpp with verbose: every chunk tells the tokens generated so far.
        ...(llama && body.verbose
          ? { __verbose: { tokens_predicted: k + 1, tokens_evaluated: usage.prompt_tokens } }
          : {}),
      });
      onPiece();
    }
    const final = choices[index]!;
    const finish: Record<string, unknown> = { index, finish_reason: final.finish_reason };
    if (chat) finish.delta = {};
    else finish.text = "";
    if (dialect === "vllm") finish.stop_reason = final.stop_reason;
    if (dialect === "sglang") finish.matched_stop = final.matched_stop;
    const last: Record<string, unknown> = { ...base, choices: [finish] };
    if (dialect === "llama.cpp") {
      // Every choice is a task of its own that ends with its own result (and usage).
      const verbose = (out.__verboseByChoice as unknown[] | undefined)?.[index];
      const usage = (out.__usageByChoice as unknown[] | undefined)?.[index] ?? out.usage;
      if (verbose) last.__verbose = verbose;
      if (!chat) last.usage = usage;
      send(last);
      if (chat && includeUsage) send({ ...base, choices: [], usage });
      continue;
    }
    send(last);
  }
  if (includeUsage && dialect !== "llama.cpp") send({ ...base, choices: [], usage: out.usage });
  if (open) res.end("data: [DONE]\n\n");
}
