/**
 * `deliberate grade` and `deliberate extract`: the math grader as a JSON Lines filter, for grading
 * outputs produced elsewhere (another harness, a server log) with the same equivalence and extraction
 * as `deliberate eval`.
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
import { mathEqual } from "../scorers/math/equivalence.js";
import {
  type AnswerExtractorName,
  DEFAULT_EXTRACTION_ORDER,
  EXTRACTORS,
  extractAnswer,
} from "../scorers/math/extract.js";

/** The result of one input line: the JSON object to write, or an error message. */
type LineResult = Record<string, unknown>;

/** Thrown for a line that cannot be processed; becomes that line's `{"error": …}`. */
class LineError extends Error {}

/** Parses one line as a JSON object and returns its string fields `names`. */
function stringFields<K extends string>(line: string, names: readonly K[]): Record<K, string> {
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
  const record = value as Record<string, unknown>;
  const out = {} as Record<K, string>;
  for (const name of names) {
    const field = record[name];
    if (field === undefined) throw new LineError(`missing field "${name}"`);
    if (typeof field !== "string")
      throw new LineError(`field "${name}" must be a string, got ${typeof field}`);
    out[name] = field;
  }
  return out;
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
      'compare answers with the math equivalence: JSON Lines {"gold","pred"} on stdin → {"equal"} per line',
    )
    .addHelpText(
      "after",
      '\nOne output line per input line, in order; a bad line gives {"error": "line N: …"} and the rest go on.\n' +
        'Example: echo \'{"gold": "\\\\frac12", "pred": "0.5"}\' | deliberate grade   → {"equal":true}',
    )
    .action(async () => {
      const stats = await mapJsonLines(process.stdin, process.stdout, (line) => {
        const { gold, pred } = stringFields(line, ["gold", "pred"] as const);
        return { equal: mathEqual(gold, pred) };
      });
      reportErrors("grade", stats);
    });

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
