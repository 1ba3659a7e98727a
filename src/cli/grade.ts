/**
 * `deliberate grade` and `deliberate extract`: the math grader as a JSON Lines filter, for grading
 * outputs produced elsewhere (another harness, a server log) with the same equivalence and extraction
 * as `deliberate eval`. `grade` takes `{"gold","pred"}` (an answer: compared) or `{"gold","output"}` (a
 * whole model output: extracted, then compared, and the extracted answer is returned); a numeric JSON
 * gold is read as its decimal spelling.
 *
 * Both read JSON Lines on stdin and write exactly one JSON line per input line, in order, so that
 * output line i always belongs to input line i (`paste`/`zip` stay aligned). A line that cannot be
 * processed (invalid JSON, not an object, a missing or non-string field, a blank line) yields
 * `{"error": "line N: …"}` in its place and processing goes on; the exit code is 0 even then (the
 * number of such lines is reported on stderr). Input is streamed line by line, so inputs of any size
 * work in constant memory and each answer is written as soon as its line has been read.
 */
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { type Command, InvalidArgumentError } from "commander";
import { GRADING_CONVENTIONS, type GradingConvention } from "../scorers/math/conventions.js";
import { type MathEqualOptions, mathEqual } from "../scorers/math/equivalence.js";
import {
  type AnswerExtractorName,
  DEFAULT_EXTRACTION_ORDER,
  EXTRACTORS,
  extractAnswer,
} from "../scorers/math/extract.js";
import { MathAnswerGrader, type MultipleChoiceMode } from "../scorers/math/grader.js";

/** The result of one input line: the JSON object to write, or an error message. */
type LineResult = Record<string, unknown>;

/** Thrown for a line that cannot be processed; becomes that line's `{"error": …}`. */
class LineError extends Error {}

/** Parses one line as a JSON object (a {@link LineError} otherwise). */
function jsonObject(line: string): Record<string, unknown> {
  if (line.trim() === "") throw new LineError("blank line (expected a JSON object)");
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new LineError(`invalid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new LineError(
      `expected a JSON object, got ${Array.isArray(value) ? "an array" : JSON.stringify(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

/** A string field; `numeric` also accepts a finite JSON number (as its decimal spelling). */
function stringField(record: Record<string, unknown>, name: string, numeric = false): string {
  const field = record[name];
  if (field === undefined) throw new LineError(`missing field "${name}"`);
  if (typeof field === "string") return field;
  if (numeric && typeof field === "number" && Number.isFinite(field)) return String(field);
  throw new LineError(
    `field "${name}" must be a ${numeric ? "string or number" : "string"}, got ${typeof field}`,
  );
}

/** Parses one line as a JSON object and returns its string fields `names`. */
function stringFields<K extends string>(line: string, names: readonly K[]): Record<K, string> {
  const record = jsonObject(line);
  const out = {} as Record<K, string>;
  for (const name of names) out[name] = stringField(record, name);
  return out;
}

/** One `grade` line: `{"gold","pred"}` → `{"equal"}`, `{"gold","output"}` → `{"equal","answer"}`. */
function gradeLine(line: string, grader: MathAnswerGrader, equivalence: MathEqualOptions): LineResult {
  const record = jsonObject(line);
  const gold = stringField(record, "gold", true);
  if (record.pred !== undefined && record.output !== undefined) {
    throw new LineError('give either "pred" (an answer) or "output" (a whole model output), not both');
  }
  if (record.output !== undefined) {
    const { correct, extracted } = grader.grade(gold, stringField(record, "output"));
    return { equal: correct, answer: extracted };
  }
  if (record.pred === undefined) throw new LineError('missing field "pred" (or "output")');
  return { equal: mathEqual(gold, stringField(record, "pred"), equivalence) };
}

/**
 * Maps each line of `input` to one JSON line on `output` (see the module comment): `handle` returns
 * the object to write or throws a {@link LineError}. Output is buffered within a burst of lines that
 * arrived together and flushed before waiting for more input; stdout back-pressure is honoured.
 *
 * @returns lines read and lines that produced an error.
 */
export async function mapJsonLines(
  input: Readable,
  output: Writable,
  handle: (line: string) => LineResult,
): Promise<{ lines: number; errors: number }> {
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lines = 0;
  let errors = 0;
  let buffer = "";
  let scheduled: NodeJS.Immediate | undefined;
  let failure: unknown;
  const flush = (): boolean => {
    scheduled = undefined;
    if (buffer === "") return true;
    const chunk = buffer;
    buffer = "";
    return output.write(chunk);
  };
  const onError = (error: unknown) => {
    failure ??= error;
  };
  output.on("error", onError);
  try {
    for await (const line of rl) {
      if (failure !== undefined) break;
      lines++;
      let result: LineResult;
      try {
        result = handle(line);
      } catch (error) {
        if (!(error instanceof LineError)) throw error;
        errors++;
        result = { error: `line ${lines}: ${error.message}` };
      }
      buffer += `${JSON.stringify(result)}\n`;
      if (buffer.length >= 1 << 16) {
        if (scheduled) clearImmediate(scheduled);
        if (!flush()) await once(output, "drain");
      } else if (!scheduled) {
        // Lines that arrived in one chunk are handled without yielding; flush after the burst.
        scheduled = setImmediate(flush);
      }
    }
    if (scheduled) clearImmediate(scheduled);
    if (failure === undefined && !flush()) await once(output, "drain");
  } finally {
    rl.close();
    output.off("error", onError);
  }
  if (failure !== undefined) {
    // A closed pipe downstream (`| head`) is a normal way to stop reading.
    if ((failure as NodeJS.ErrnoException).code !== "EPIPE") throw failure;
  }
  return { lines, errors };
}

/** Commander parser of `--order`: a comma-separated list of extractor names. */
function extractorOrder(value: string): AnswerExtractorName[] {
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const valid = Object.keys(EXTRACTORS);
  if (names.length === 0) throw new InvalidArgumentError(`expected extractor names (${valid.join(", ")})`);
  for (const name of names) {
    if (!Object.hasOwn(EXTRACTORS, name)) {
      throw new InvalidArgumentError(`unknown extractor "${name}" (valid: ${valid.join(", ")})`);
    }
  }
  return names as AnswerExtractorName[];
}

/** Commander parser of `--off`: a comma-separated list of convention names. */
function conventionList(value: string): GradingConvention[] {
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const name of names) {
    if (!(GRADING_CONVENTIONS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(
        `unknown convention "${name}" (valid: ${GRADING_CONVENTIONS.join(", ")})`,
      );
    }
  }
  return names as GradingConvention[];
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a non-negative number, got "${value}"`);
  return n;
}

function choiceMode(value: string): MultipleChoiceMode {
  if (value !== "auto" && value !== "always" && value !== "never") {
    throw new InvalidArgumentError('expected "auto", "always" or "never"');
  }
  return value;
}

function reportErrors(command: string, stats: { lines: number; errors: number }): void {
  if (stats.errors > 0) {
    process.stderr.write(
      `${command}: ${stats.errors} of ${stats.lines} line(s) could not be processed (see their "error")\n`,
    );
  }
}

/** Registers `deliberate grade` and `deliberate extract`. */
export function registerGrade(program: Command): void {
  program
    .command("grade")
    .description(
      'grade answers: JSON Lines {"gold","pred"} → {"equal"}, or {"gold","output"} (a whole model output) → {"equal","answer"}',
    )
    .option(
      "--off <conventions>",
      `grading conventions to switch off (${GRADING_CONVENTIONS.join(", ")})`,
      conventionList,
    )
    .option("--rel-tol <x>", "relative tolerance of decimals and irrationals (default 1e-6)", positiveNumber)
    .option(
      "--multiple-choice <mode>",
      "read outputs as choice letters: auto (gold is a letter), always, never",
      choiceMode,
    )
    .option(
      "--order <names>",
      `extractors for "output", in order, comma-separated (${Object.keys(EXTRACTORS).join(", ")})`,
      extractorOrder,
    )
    .addHelpText(
      "after",
      '\nOne output line per input line, in order; a bad line gives {"error": "line N: …"} and the rest go on.\n' +
        'Example: echo \'{"gold": "\\\\frac12", "pred": "0.5"}\' | deliberate grade   → {"equal":true}\n' +
        'Example: echo \'{"gold": 7.78, "output": "The final answer is 7.78. I hope it is correct."}\' | deliberate grade\n' +
        '         → {"equal":true,"answer":"7.78"}',
    )
    .action(
      async (flags: {
        off?: GradingConvention[];
        relTol?: number;
        multipleChoice?: MultipleChoiceMode;
        order?: AnswerExtractorName[];
      }) => {
        const equivalence: MathEqualOptions = {
          ...(flags.relTol !== undefined ? { relTol: flags.relTol } : {}),
          ...(flags.off ? { conventions: Object.fromEntries(flags.off.map((c) => [c, false])) } : {}),
        };
        const grader = new MathAnswerGrader({
          equivalence,
          ...(flags.multipleChoice ? { multipleChoice: flags.multipleChoice } : {}),
          ...(flags.order ? { extraction: flags.order } : {}),
        });
        const stats = await mapJsonLines(process.stdin, process.stdout, (line) =>
          gradeLine(line, grader, equivalence),
        );
        reportErrors("grade", stats);
      },
    );

  program
    .command("extract")
    .description('extract final answers: JSON Lines {"text"} on stdin → {"answer": string|null} per line')
    .option(
      "--order <names>",
      `extractors to try, in order, comma-separated (${Object.keys(EXTRACTORS).join(", ")})`,
      extractorOrder,
      [...DEFAULT_EXTRACTION_ORDER],
    )
    .addHelpText(
      "after",
      '\nOne output line per input line, in order; a bad line gives {"error": "line N: …"} and the rest go on.\n' +
        'Example: echo \'{"text": "so the answer is \\\\boxed{42}"}\' | deliberate extract   → {"answer":"42"}',
    )
    .action(async (flags: { order: AnswerExtractorName[] }) => {
      const stats = await mapJsonLines(process.stdin, process.stdout, (line) => {
        const { text } = stringFields(line, ["text"] as const);
        return { answer: extractAnswer(text, flags.order) };
      });
      reportErrors("extract", stats);
    });
}
