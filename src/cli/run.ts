import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import type { Dialect } from "../backends/openai-compatible/dialect.js";
import { ConfigError } from "../core/errors.js";
import type { Budget } from "../core/meter.js";
import type { Problem } from "../core/prompt.js";
import { resolveScorer } from "../core/resolve-scorer.js";
import type { Scorer } from "../core/scorer.js";
import type { StrategyResult } from "../core/strategy.js";
import { toTraceFile } from "../core/trace-file.js";
import { embeddedScorerSpec, embeddedStrategySpec } from "../defaults.js";
import { mathEqual } from "../scorers/math/equivalence.js";
import { extractAnswer } from "../scorers/math/extract.js";
import { scorers } from "../scorers/registry.js";
import { createStrategy } from "../strategies/registry.js";
import { runStrategy } from "../strategies/run.js";
import { statesMathAnswer } from "../tasks/completion.js";
import { embeddedTaskNote, isArithPrompt } from "./embedded-task.js";
import { openModel } from "./open-model.js";
import { collectArg, dialectArg, intArg } from "./parse.js";

interface RunFlags {
  strategy?: string;
  scorer?: string;
  model?: string;
  baseUrl?: string[];
  apiKey?: string;
  dialect?: Dialect | "auto";
  seed: number;
  maxTokens?: number;
  budgetTokens?: number;
  parallel?: number;
  raw?: boolean;
  json?: boolean;
  trace?: string;
}

/** `deliberate run`: one problem, one strategy, the answer on stdout. */
export function registerRun(program: Command): void {
  program
    .command("run")
    .description("answer one prompt with a test-time scaling strategy")
    .argument("<prompt>", "the prompt, or - to read it from stdin")
    .option(
      "-s, --strategy <spec>",
      `strategy spec, e.g. sc:n=16,temperature=0.8 (see \`deliberate strategies\`; default ${embeddedStrategySpec} on the embedded model, sc with any other)`,
    )
    .option(
      "--scorer <spec>",
      "scorer spec, e.g. genprm, prm or prm:PATH (default for scored strategies: the embedded generative PRM)",
    )
    .option(
      "-m, --model <path|hf:uri|name>",
      "GGUF path or hf: URI; with --base-url, the server's model name",
    )
    .option(
      "--base-url <url>",
      "OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1; repeat for a fleet serving the same model",
      collectArg,
    )
    .option("--api-key <key>", "API key for --base-url (default: $OPENAI_API_KEY)")
    .option(
      "--dialect <name>",
      "how the --base-url servers report stops and usage: auto (from GET /models), llama.cpp, vllm, sglang, openai",
      dialectArg,
    )
    .option("--seed <n>", "seed of the run", intArg(0, 2 ** 31 - 1), 0)
    .option("--max-tokens <n>", "most tokens per solution", intArg(1))
    .option("--budget-tokens <n>", "most generated tokens for the whole run", intArg(1))
    .option(
      "--parallel <n>",
      "sequences decoded at once (embedded) or requests in flight (server)",
      intArg(1, 1024),
    )
    .option("--raw", "send the prompt as raw text even when the model has a chat template")
    .option("--json", "print one JSON object with the answer, candidates and usage")
    .option("--trace <file>", "write the strategy's trace tree as JSON")
    .action(async (promptArg: string, flags: RunFlags) => {
      const onEmbedded = !flags.baseUrl && flags.model === undefined;
      const strategy = createStrategy(flags.strategy ?? (onEmbedded ? embeddedStrategySpec : "sc"));
      // The embedded generative PRM goes with the embedded policy; any other model needs --scorer.
      const scorerSpec = resolveScorer(strategy, {
        given: flags.scorer,
        fallback: onEmbedded ? embeddedScorerSpec : undefined,
        hint: "pass --scorer SPEC",
      });
      const scorerFactory = scorerSpec === undefined ? undefined : scorers.create(scorerSpec);
      const text = promptArg === "-" ? readFileSync(0, "utf8").trim() : promptArg;
      if (!text.trim()) throw new ConfigError("the prompt is empty (it has only whitespace)");
      if (onEmbedded && !isArithPrompt(text)) {
        process.stderr.write(embeddedTaskNote("this prompt is not one"));
      }
      const { model } = await openModel({
        ...flags,
        apiKey: flags.apiKey ?? process.env.OPENAI_API_KEY,
      });
      let scorer: Scorer | undefined;
      try {
        if (scorerFactory) scorer = await scorerFactory.open();
        const problem: Problem = {
          prompt:
            model.capabilities.chat && !flags.raw ? { messages: [{ role: "user", content: text }] } : text,
        };
        const budget: Budget = flags.budgetTokens ? { maxCompletionTokens: flags.budgetTokens } : {};
        const result = await runStrategy(strategy, problem, {
          model,
          ...(scorer ? { scorer } : {}),
          budget,
          seed: flags.seed,
          extractAnswer: (t) => extractAnswer(t),
          sameAnswer: mathEqual,
          isCompleteSolution: statesMathAnswer,
          defaults: flags.maxTokens ? { maxTokens: flags.maxTokens } : {},
        });
        if (flags.trace) writeTrace(flags.trace, result, text);
        if (flags.json) process.stdout.write(`${JSON.stringify(toJson(result))}\n`);
        else if (result.answer !== null) process.stdout.write(`${result.answer}\n`);
        else {
          process.stdout.write(`${result.output}\n`);
          process.stderr.write(`no answer could be extracted (stop reason: ${result.stopReason})\n`);
        }
      } finally {
        await scorer?.close?.();
        await model.close();
      }
    });
}

/** The `--json` shape: documented in README.md. */
function toJson(result: StrategyResult) {
  return {
    answer: result.answer,
    output: result.output,
    strategy: result.strategy,
    stopReason: result.stopReason,
    chosen: result.chosen,
    usage: result.usage,
    scorerUsage: result.scorerUsage,
    ...(result.meta ? { meta: result.meta } : {}),
    candidates: result.candidates.map((c) => ({
      text: c.text,
      answer: c.answer,
      completionTokens: c.completionTokens,
      finishReason: c.finishReason,
      ...(c.score !== undefined ? { score: c.score } : {}),
      ...(c.stepScores ? { stepScores: c.stepScores } : {}),
      ...(c.confidence !== undefined ? { confidence: c.confidence } : {}),
    })),
  };
}

function writeTrace(file: string, result: StrategyResult, prompt: string): void {
  writeFileSync(file, `${JSON.stringify(toTraceFile(result, prompt), null, 2)}\n`);
}
