import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import type { Completion, FinishReason, TokenLogprob } from "../../core/model.js";
import type { Usage } from "../../core/usage.js";
import type { NativeLayer, NativeSamplingOptions } from "./native.js";
import { describeToken } from "./token-logprobs.js";

/** What every sample of one request shares. */
export interface GenerationParams {
  sampling: Omit<NativeSamplingOptions, "seed">;
  maxTokens: number;
  stop: string[];
  /** Seed of sample 0; sample i uses seed + i. */
  seed: number;
  logprobs: boolean;
  topLogprobs: number;
  signal: AbortSignal | undefined;
}

/** One sample's inputs: its sequence, the tokens it still has to evaluate, its seed. */
export interface SampleJob {
  sequence: LlamaContextSequence;
  /** Prompt tokens not yet in the sequence's cache (at least the last one, for its logits). */
  input: Token[];
  seed: number;
}

/**
 * Generates one sample: decodes the job's input, then one sampled token per step, each step in the
 * context's shared batch. The token is drawn by the sample's own native sampler; with `logprobs`, a
 * reader reports its raw log-probability (one linear pass over the vocabulary) at the same time.
 * Adds the generated tokens to `usage.completionTokens` as they come.
 */
export async function generateSample(
  model: LlamaModel,
  native: NativeLayer,
  job: SampleJob,
  params: GenerationParams,
  usage: Usage,
): Promise<Completion> {
  const { sequence } = job;
  const sampler = native.sampler({ ...params.sampling, seed: job.seed });
  const reader = params.logprobs ? native.logprobReader() : undefined;
  const generated: Token[] = [];
  const logprobs: TokenLogprob[] = [];
  let text = "";
  let finishReason: FinishReason = "length";
  let stopSequence: string | undefined;
  let eog = false;
  const longestStop = Math.max(0, ...params.stop.map((s) => s.length));
  try {
    let tokens = job.input;
    while (true) {
      if (params.signal?.aborted) {
        finishReason = "abort";
        break;
      }
      const lastIndex = tokens.length - 1;
      const outputs = await native.decode(
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
      const next = outputs[lastIndex];
      if (!next || next.token < 0) throw new Error("llama.cpp could not sample a token");
      const token = next.token;
      generated.push(token);
      usage.completionTokens++;
      if (model.isEogToken(token)) {
        generated.pop();
        eog = true;
        finishReason = "stop";
        break;
      }
      if (next.position) logprobs.push(describeToken(model, token, next.position, new Map()));
      if (params.stop.length > 0) {
        const before = text.length;
        text = model.detokenize(generated);
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
    sampler.dispose();
    reader?.dispose();
  }
  if (stopSequence === undefined) text = model.detokenize(generated);
  const completion: Completion = {
    text,
    finishReason,
    completionTokens: generated.length + (eog ? 1 : 0),
  };
  if (stopSequence !== undefined) completion.stopSequence = stopSequence;
  if (params.logprobs) completion.logprobs = logprobs;
  return completion;
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
