import { ConfigError, ScorerRequiredError } from "../core/errors.js";
import type { LanguageModel } from "../core/model.js";
import { resolveScorer } from "../core/resolve-scorer.js";
import type { Scorer } from "../core/scorer.js";
import { parseSpec } from "../core/spec.js";
import type { Strategy } from "../core/strategy.js";
import { scorers } from "../scorers/registry.js";
import { badRequest, toApiError } from "./errors.js";

/** Most scorer specs the server keeps open at once (each may hold a model). */
const MAX_OPEN_SCORERS = 4;

/** What {@link RequestScorers} needs from the server's options. */
export interface RequestScorersOptions {
  /** The server's scorer of requests that name none: a spec or an opened scorer. */
  scorer?: string | Scorer;
  judges?: Record<string, LanguageModel>;
  defaultJudge?: string;
  /** The base model's listed name (named in errors). */
  modelName: string;
  /** Every name of the base model: a request naming one as judge gets the base model. */
  baseNames: ReadonlySet<string>;
}

/**
 * The scorer and judge of each request: `deliberate.scorer` or the server's `--scorer`, opened once
 * per spec and kept until {@link RequestScorers.close}, and `deliberate.judge` or the server's default
 * judge. Every refusal is a 400 naming the request parameter.
 */
export class RequestScorers {
  private readonly open = new Map<string, Promise<Scorer>>();

  /** @throws ConfigError when the default judge is not among the judges. */
  constructor(private readonly options: RequestScorersOptions) {
    if (options.defaultJudge !== undefined && !options.judges?.[options.defaultJudge]) {
      throw new ConfigError(`the default judge '${options.defaultJudge}' is not among the judges`);
    }
  }

  /**
   * The scorer of a request: the one it names (`deliberate.scorer`), else the server's when the
   * strategy needs one, else none. A 400 `scorer_required` when the strategy needs one and there is
   * none.
   */
  async scorerFor(requested: string | undefined, strategy: Strategy): Promise<Scorer | undefined> {
    const fallback = this.options.scorer;
    const hint =
      "set deliberate.scorer (see `deliberate scorers`, e.g. verifier:arith), or start the server with --scorer";
    let chosen: string | Scorer | undefined;
    try {
      chosen = resolveScorer(strategy, { given: requested?.trim() || undefined, fallback, hint });
    } catch (error) {
      if (error instanceof ScorerRequiredError) {
        throw badRequest(`${error.message}: ${hint}`, "deliberate.scorer", "scorer_required");
      }
      throw error;
    }
    if (chosen === undefined || typeof chosen !== "string") return chosen;
    return this.openSpec(chosen.trim(), fallback);
  }

  /** A scorer opened from its spec, once per spec. */
  private async openSpec(spec: string, fallback: string | Scorer | undefined): Promise<Scorer> {
    let opened = this.open.get(spec);
    if (!opened) {
      opened = this.openScorer(spec, spec === fallback);
      this.open.set(spec, opened);
      opened.catch(() => this.open.delete(spec));
    }
    try {
      return await opened;
    } catch (error) {
      throw toApiError(error, "deliberate.scorer");
    }
  }

  /** The judge a request names (or the server's default); undefined: the base model. */
  judgeFor(requested: string | undefined): LanguageModel | undefined {
    const judges = this.options.judges ?? {};
    const name = requested ?? this.options.defaultJudge;
    if (name === undefined || (requested !== undefined && this.options.baseNames.has(requested))) {
      return undefined;
    }
    const judge = judges[name];
    if (!judge) {
      const known = [this.options.modelName, ...Object.keys(judges)].map((n) => `'${n}'`).join(", ");
      throw badRequest(`unknown judge '${name}': use one of ${known}`, "deliberate.judge", "judge_not_found");
    }
    return judge;
  }

  /** Closes every scorer opened from a spec (not an opened scorer given in the options). */
  async close(): Promise<void> {
    const opened = await Promise.allSettled(this.open.values());
    for (const entry of opened) if (entry.status === "fulfilled") await entry.value.close?.();
    this.open.clear();
  }

  /** Validates a spec (synchronously, so a refusal is not cached) and starts opening it. */
  private openScorer(spec: string, fromServer: boolean): Promise<Scorer> {
    let parsed: ReturnType<typeof parseSpec>;
    try {
      parsed = parseSpec(spec, "scorer");
    } catch (error) {
      throw toApiError(error, "deliberate.scorer");
    }
    // Clients pick scorer kinds and settings; files and URLs a scorer loads are the server's choice.
    const values = [...parsed.positional, ...Object.values(parsed.params)];
    if (!fromServer && ("source" in parsed.params || "model" in parsed.params || values.some(isLocation))) {
      throw badRequest(
        "a request's scorer may not name a model file or URL; start the server with --scorer SPEC for that",
        "deliberate.scorer",
      );
    }
    if (this.open.size >= MAX_OPEN_SCORERS) {
      throw badRequest(
        `the server already has ${MAX_OPEN_SCORERS} scorers open; use one of: ${[...this.open.keys()].join(", ")}`,
        "deliberate.scorer",
      );
    }
    let factory: ReturnType<typeof scorers.create>;
    try {
      factory = scorers.create(spec);
    } catch (error) {
      throw toApiError(error, "deliberate.scorer");
    }
    return factory.open();
  }
}

/** A value that names a file or URL (a scorer model to load). */
function isLocation(value: string): boolean {
  return /[/\\]|^(hf|https?|file):|\.gguf$|^~|^\./i.test(value);
}
