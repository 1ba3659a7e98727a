/**
 * Verifies code completions by running them against a problem's tests (HumanEval, MBPP).
 */
import { cpus } from "node:os";
import { ConfigError } from "../../core/errors.js";
import { type RunPythonOptions, type RunResult, type RunStatus, runPython } from "./run-python.js";

/** A code problem: the program prefix, its tests, and (HumanEval) the function to `check`. */
export interface CodeProblem {
  /**
   * Text the completion continues (HumanEval `prompt`: signature and docstring); empty or absent
   * for MBPP, where the completion is the whole program.
   */
  code?: string;
  /** Test code (HumanEval `test`), or a list of assert statements (MBPP `test_list`). */
  tests: string | readonly string[];
  /** HumanEval `entry_point`: `check(<entryPoint>)` runs after the tests. */
  entryPoint?: string;
  /** Statements run before the program (MBPP `test_imports`). */
  imports?: readonly string[];
}

/** Options of {@link CodeTestVerifier}. */
export interface CodeTestVerifierOptions {
  /** Per-run wall-clock limit (default 10000 ms). */
  timeoutMs?: number;
  /** Per-run address-space limit (default 1024 MiB). */
  memoryMb?: number;
  /** Runs executed at once (default: the number of CPU cores). */
  concurrency?: number;
  /**
   * Take the code out of a Markdown fence (```python … ```) when the completion has one, as chat
   * models answer (default true).
   */
  extractFences?: boolean;
  /** Python executable (default `python3`). */
  python?: string;
  /** Use `unshare` namespaces where available (default true); see {@link RunPythonOptions}. */
  useNamespaces?: boolean;
}

/** The outcome of verifying one completion. */
export interface CodeVerdict {
  /** True only when every test passed. */
  correct: boolean;
  status: RunStatus;
  /** The full run result (output, timing, exit code). */
  run: RunResult;
}

/**
 * The code inside the first Markdown code fence that has any, preferring a `python`-tagged one; the
 * text unchanged when there is no fence.
 */
export function extractCodeBlock(completion: string): string {
  const blocks = [...completion.matchAll(/```([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)(?:```|$)/g)];
  if (blocks.length === 0) return completion;
  const python = blocks.find((b) => /^(?:python|py|python3)$/i.test(b[1] ?? ""));
  return (python ?? blocks[0]!)[2] ?? completion;
}

/**
 * Runs completions against tests with {@link runPython} (see its documentation for what isolation
 * that has and has not). Program = imports + problem code + completion; tests follow in the same
 * namespace. Calls beyond `concurrency` wait their turn.
 */
export class CodeTestVerifier {
  private readonly timeoutMs: number;
  private readonly memoryMb: number;
  private readonly concurrency: number;
  private readonly extractFences: boolean;
  private readonly python: string | undefined;
  private readonly useNamespaces: boolean;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(options: CodeTestVerifierOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10000;
    this.memoryMb = options.memoryMb ?? 1024;
    this.concurrency = options.concurrency ?? Math.max(1, cpus().length);
    this.extractFences = options.extractFences ?? true;
    this.python = options.python;
    this.useNamespaces = options.useNamespaces ?? true;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new ConfigError(`concurrency must be a positive integer, got ${options.concurrency}`);
    }
  }

  /** Runs `completion` against the problem's tests. */
  async verify(
    problem: CodeProblem,
    completion: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<CodeVerdict> {
    const body = this.extractFences ? extractCodeBlock(completion) : completion;
    const prefix = problem.code ?? "";
    const imports = (problem.imports ?? []).join("\n");
    // A newline between prompt and completion only when the model restarted the line itself.
    const joiner = prefix === "" || prefix.endsWith("\n") || body.startsWith("\n") ? "" : "\n";
    const code = `${imports}${imports ? "\n" : ""}${prefix}${joiner}${body}\n`;
    const tests = typeof problem.tests === "string" ? problem.tests : problem.tests.join("\n");
    await this.acquire();
    try {
      const run = await runPython({
        code,
        tests,
        ...(problem.entryPoint !== undefined ? { entryPoint: problem.entryPoint } : {}),
        timeoutMs: this.timeoutMs,
        memoryMb: this.memoryMb,
        useNamespaces: this.useNamespaces,
        ...(this.python !== undefined ? { python: this.python } : {}),
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
      return { correct: run.status === "passed", status: run.status, run };
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
