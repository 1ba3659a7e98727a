/**
 * Math spans of a text (`$…$`, `$$…$$`, `\(…\)`, `\[…\]`): the span at a position, runs of spans
 * joined by commas or "and"/"or" read as one answer, and the rightmost span or number of a text.
 */
import { cleanAnswer, NUMBER } from "./extract-text.js";

/** A math span: its content and where it starts and ends in the text. */
export interface MathSpan {
  start: number;
  end: number;
  content: string;
}

/**
 * Math delimiters: display `$$…$$` and `\[…\]`, inline `$…$` and `\(…\)` (one line). Display spans
 * are bounded in length, so that many unclosed `\[` cannot make the scan quadratic.
 */
const MATH_SPAN =
  /\$\$([\s\S]{1,2000}?)\$\$|\\\[([\s\S]{1,2000}?)\\\]|(?<![\\\d])\$((?:\\\$|[^$\n])+?)\$|\\\(((?:(?!\\\))[^\n])+?)\\\)/g;

/** The math span that starts exactly at `i`, if any. */
const MATH_SPAN_AT = new RegExp(MATH_SPAN.source, "y");

/** The math span that starts exactly at `i`, or null. */
export function mathSpanAt(text: string, i: number): MathSpan | null {
  const re = MATH_SPAN_AT;
  re.lastIndex = i;
  const m = re.exec(text);
  if (!m) return null;
  const content = m[1] ?? m[2] ?? m[3] ?? m[4] ?? "";
  return { start: m.index, end: m.index + m[0].length, content };
}

function mathSpans(text: string): MathSpan[] {
  const out: MathSpan[] = [];
  for (const m of text.matchAll(MATH_SPAN)) {
    out.push({ start: m.index, end: m.index + m[0].length, content: m[1] ?? m[2] ?? m[3] ?? m[4] ?? "" });
  }
  return out;
}

const SPAN_JOIN = /^\s*(?:,\s*(?:and|or)?|and|or)\s*$/;
const PERCENT_AFTER = /^\s*(?:\\?%|percent(?:age)?\b|pct\b)/i;

/**
 * The answer of a run of spans: `$21, 16$ or $11$` is one list; the spans after `first` joined by
 * commas, "and" or "or" are included, and a percent sign right after the last one is kept.
 */
export function joinSpans(text: string, run: MathSpan[]): string {
  let last = run[run.length - 1]!;
  for (;;) {
    const next = mathSpanAt(
      text,
      last.end + (/^\s*(?:,\s*(?:and|or)?|and|or)\s*/.exec(text.slice(last.end))?.[0].length ?? 0),
    );
    if (!next || next.start === last.end || !SPAN_JOIN.test(text.slice(last.end, next.start))) break;
    run.push(next);
    last = next;
  }
  const percent = PERCENT_AFTER.test(text.slice(last.end)) ? "\\%" : "";
  return `${run.map((s) => cleanAnswer(s.content)).join(", ")}${percent}`;
}

/**
 * The rightmost of the last math span and the last number of `text` (the one that ends last): the
 * fallback when nothing states the answer. Spans joined by "and"/"or"/commas count as one answer.
 */
export function lastMathOrNumber(text: string): string | null {
  const spans = mathSpans(text).filter((s) => cleanAnswer(s.content) !== "");
  let lastSpan = spans[spans.length - 1];
  let numberEnd = -1;
  let number: string | null = null;
  for (const m of text.matchAll(NUMBER)) {
    numberEnd = m.index + m[0].length;
    number = m[0].trim();
  }
  if (lastSpan && lastSpan.end >= numberEnd) {
    let first = spans.length - 1;
    while (first > 0 && SPAN_JOIN.test(text.slice(spans[first - 1]!.end, spans[first]!.start))) first--;
    lastSpan = spans[first]!;
    return joinSpans(text, [lastSpan]);
  }
  return number;
}
