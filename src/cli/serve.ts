import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { Dialect } from "../backends/openai-compatible/dialect.js";
import { embeddedModels, embeddedScorerSpec } from "../defaults.js";
import { checkApiKey } from "../server/auth.js";
import { createServer } from "../server/index.js";
import { requestLogLine } from "../server/log.js";
import { openModel } from "./open-model.js";
import { collectArg, dialectArg, intArg } from "./parse.js";

interface ServeFlags {
  port: number;
  host: string;
  model?: string;
  baseUrl?: string[];
  judge?: string;
  dialect?: Dialect | "auto";
  judgeBaseUrl?: string[];
  upstreamApiKey?: string;
  apiKey?: string;
  maxConcurrency: number;
  maxQueue: number;
  parallel?: number;
  scorer?: string;
  maxTokens?: number;
  maxN?: number;
  maxBodyBytes?: number;
  maxBudgetTokens?: number;
  shutdownDeadline: number;
}

/** `deliberate serve`: the OpenAI-compatible server (docs/server.md). */
export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("OpenAI-compatible server: any client gets test-time scaling through the model name")
    .option("--port <n>", "port to listen on (0 picks a free one)", intArg(0, 65535), 8080)
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option(
      "-m, --model <path|hf:uri|name>",
      "GGUF path or hf: URI (default: the embedded tiny model); with --base-url, the upstream model name",
    )
    .option(
      "--base-url <url>",
      "serve an upstream OpenAI-compatible server instead of an embedded model; repeat for a fleet",
      collectArg,
    )
    .option("--upstream-api-key <key>", "API key for --base-url (default: $OPENAI_API_KEY)")
    .option(
      "--dialect <name>",
      "how the --base-url servers report stops and usage: auto (from GET /models), llama.cpp, vllm, sglang, openai",
      dialectArg,
    )
    .option(
      "--judge <model>",
      "judge model of rank, fuse and critique: a GGUF path or hf: URI, or with --judge-base-url the server's model name (requests may still pick the base model with deliberate.judge)",
    )
    .option("--judge-base-url <url>", "OpenAI-compatible server of --judge; repeat for a fleet", collectArg)
    .option("--api-key <key>", "require this key from clients (default: $DELIBERATE_API_KEY; none: open)")
    .option("--max-concurrency <n>", "requests generating at once", intArg(1, 10_000), 4)
    .option("--max-queue <n>", "requests waiting for a slot before 429", intArg(0, 1_000_000), 64)
    .option(
      "--parallel <n>",
      "sequences decoded at once (embedded) or upstream requests in flight",
      intArg(1, 1024),
    )
    .option("--scorer <spec>", "scorer for strategies that need one when a request names none (e.g. prm)")
    .option("--max-tokens <n>", "default max_tokens per solution", intArg(1))
    .option("--max-n <n>", "most choices (n) of a plain request", intArg(1, 4096))
    .option("--max-body-bytes <n>", "largest request body", intArg(1))
    .option("--max-budget-tokens <n>", "most tokens one strategy run may generate", intArg(1))
    .option(
      "--shutdown-deadline <ms>",
      "on SIGINT/SIGTERM, ms to let in-flight requests finish",
      intArg(0),
      10_000,
    )
    .action(async (flags: ServeFlags) => {
      const apiKey = flags.apiKey ?? process.env.DELIBERATE_API_KEY;
      // A key the server cannot check fails before the model loads.
      if (apiKey) checkApiKey(apiKey);
      const { model, embedded } = await openModel({
        ...(flags.model ? { model: flags.model } : {}),
        ...(flags.baseUrl ? { baseUrl: flags.baseUrl } : {}),
        ...(flags.parallel ? { parallel: flags.parallel } : {}),
        ...(flags.dialect ? { dialect: flags.dialect } : {}),
        apiKey: flags.upstreamApiKey ?? process.env.OPENAI_API_KEY,
      });
      const judge = flags.judge
        ? (
            await openModel({
              model: flags.judge,
              ...(flags.judgeBaseUrl ? { baseUrl: flags.judgeBaseUrl } : {}),
              apiKey: flags.upstreamApiKey ?? process.env.OPENAI_API_KEY,
            })
          ).model
        : undefined;
      const scorer =
        flags.scorer ?? (embedded && existsSync(embeddedModels.genprm) ? embeddedScorerSpec : undefined);
      const server = createServer({
        model,
        modelName: embedded ? "tiny" : model.id,
        ...(apiKey ? { apiKey } : {}),
        maxConcurrency: flags.maxConcurrency,
        maxQueue: flags.maxQueue,
        ...(scorer ? { scorer } : {}),
        ...(judge && flags.judge ? { judges: { [flags.judge]: judge }, defaultJudge: flags.judge } : {}),
        ...(flags.maxTokens ? { defaultMaxTokens: flags.maxTokens } : {}),
        limits: {
          ...(flags.maxN ? { maxChoices: flags.maxN } : {}),
          ...(flags.maxBodyBytes ? { maxBodyBytes: flags.maxBodyBytes } : {}),
          ...(flags.maxBudgetTokens ? { maxBudgetTokens: flags.maxBudgetTokens } : {}),
        },
        shutdownDeadlineMs: flags.shutdownDeadline,
        onRequestEnd: (record) => {
          const line = requestLogLine(record);
          if (line) process.stderr.write(`${line}\n`);
        },
      });
      const info = await server.listen({ port: flags.port, host: flags.host });
      const name = embedded ? "tiny" : model.id;
      process.stderr.write(
        `deliberate serve: ${info.url}/v1 — model "${name}", strategies as "sc:n=8@${name}" (GET /v1/models)\n`,
      );
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            process.stderr.write(`${signal} again: exiting now\n`);
            process.exit(130);
          }
          stopping = true;
          process.stderr.write(
            `${signal}: finishing in-flight requests (up to ${flags.shutdownDeadline} ms)\n`,
          );
          server
            .close()
            .then(() => model.close())
            .then(() => judge?.close())
            .finally(resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}
