/**
 * Final-answer extraction from a model's output. Each extractor looks for one convention and returns
 * the answer text (still LaTeX, to be compared by {@link mathEqual}) or null; {@link extractAnswer}
 * tries them in order and returns the first hit. Every extractor takes the *last* occurrence, because
 * models restate the question and revise themselves before committing to an answer.
 *
 * The default order follows how Math-Verify ranks its candidates: a box, then an explicit "final answer
 * is" statement (the Minerva format first), then "answer:" phrasings, then an output that is itself
 * just an answer, and last the rightmost math span or number of the text. Text after an end-of-turn
 * token (`<|im_start|>`, `</s>`, …) is ignored.
 */
import type { AnswerExtractor } from "../../core/scorer.js";

/** Names of the built-in extractors. */
export type AnswerExtractorName =
  | "boxed"
  | "gsm8k"
  | "minerva"
  | "answerIs"
  | "aColon"
  | "multipleChoice"
  | "choice"
  | "wholeAnswer"
  | "lastMath"
  | "lastNumber";

/** Tokens that end a model's turn; what follows them (a hallucinated next turn) is not the answer. */
const END_OF_TURN = /<\|im_start\|>|<\|im_end\|>|<\|endoftext\|>|<\|eot_id\|>|<\|end\|>|<\/s>/;

/** The output up to the first end-of-turn token. */
export function cutAtEndOfTurn(text: string): string {
  const m = END_OF_TURN.exec(text);
  return m ? text.slice(0, m.index) : text;
}

/**
 * What may separate boxes that together form one answer: `\boxed{1}, \boxed{2}`, `\boxed{1} and
 * \boxed{-2}`, `\boxed{-2} \quad \text{and} \quad \boxed{1}`, `\(\boxed{1}\) and \(\boxed{2}\)`.
 */
const BOX_GAP =
  /^(?:\s|,|;|\$|\\[()[\]]|\\q?quad(?![a-zA-Z])|\\[,;: ]|\\text\s*\{\s*(?:and|or|,)?\s*\}|\band\b|\bor\b)*$/;

/**
 * Whether the text between two boxes makes them one answer. Boxes in separate math spans
 * (`$$\boxed{20}$$ \boxed{143}`) are separate statements unless a comma or "and"/"or" joins them.
 */
function joinsBoxes(gap: string): boolean {
  if (!BOX_GAP.test(gap)) return false;
  return !/\$|\\[()[\]]/.test(gap) || /[,;]|\band\b|\bor\b/.test(gap);
}

/**
 * The content of the last complete `\boxed{…}` or `\fbox{…}` (nested braces and `\{ \}` escapes
 * handled; `\boxed 5` without braces too). An unclosed box (output cut off) is skipped in favour of an
 * earlier complete one. Boxes separated only by commas, "and"/"or" or spacing (`\boxed{1}, \boxed{2}`)
 * form one answer, joined with commas.
 */
export function extractBoxed(text: string): string | null {
  const re = /\\(?:boxed|fbox)(?![a-zA-Z])/g;
  const boxes: { start: number; end: number; content: string }[] = [];
  let closers: Map<number, number> | null = null;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    let i = m.index + m[0].length;
    while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
    if (text[i] === "{") {
      // One pass over the text matches every brace, so many unclosed boxes stay linear.
      closers ??= matchAllBraces(text);
      const end = closers.get(i) ?? -1;
      if (end < 0) continue;
      const inner = text.slice(i + 1, end - 1).trim();
      if (inner !== "") boxes.push({ start: m.index, end, content: inner });
      re.lastIndex = end;
    } else if (i > m.index + m[0].length) {
      // `\boxed 5`: TeX takes the next token; take up to whitespace or `$`.
      const t = /^[^\s$]+/.exec(text.slice(i));
      if (t) boxes.push({ start: m.index, end: i + t[0].length, content: t[0].replace(/[.,;]+$/, "") });
    }
  }
  if (boxes.length === 0) return null;
  let first = boxes.length - 1;
  while (first > 0 && joinsBoxes(text.slice(boxes[first - 1]!.end, boxes[first]!.start))) first--;
  return boxes
    .slice(first)
    .map((b) => b.content)
    .join(", ");
}

/** For every `{` (not `\{`) that is closed, the index just past its `}`. */
function matchAllBraces(text: string): Map<number, number> {
  const out = new Map<number, number>();
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === "{") open.push(i);
    else if (c === "}") {
      const o = open.pop();
      if (o !== undefined) out.set(o, i + 1);
    }
  }
  return out;
}

/** GSM8K's `#### 42` convention: the rest of the last such line. */
export function extractGsm8k(text: string): string | null {
  const matches = [...text.matchAll(/####\s*([^\n]+)/g)];
  const last = matches[matches.length - 1];
  if (!last) return null;
  const answer = cleanAnswer(last[1]!);
  return answer === "" ? null : answer;
}

/**
 * The Minerva format of the standard MATH prompt: `Final Answer: The final answer is X. I hope it is
 * correct.` (the last one).
 */
export function extractMinerva(text: string): string | null {
  const re = /final\s+answer\s+is\s*:?\s*([\s\S]{1,500}?)\s*\.?\s*I\s+hope\s+it\s+is\s+correct/gi;
  const matches = [...text.matchAll(re)];
  for (let k = matches.length - 1; k >= 0; k--) {
    const answer = cleanAnswer(matches[k]![1]!);
    if (answer !== "") return answer;
  }
  return null;
}

/**
 * Anchors of a stated answer, strongest first: "final answer … is X" (within 100 characters), "Final
 * Answer:" or a "Final Answer" heading, then "answer: X", "answer = X", "the answer (to …) is X".
 */
const ANSWER_ANCHORS: readonly RegExp[] = [
  /final\s+answer\b(?:[^\n.]|\.(?=\d)){0,100}?\s(?:is|was|are)\s*:?/gi,
  /final\s+answer\s*(?::|\n)/gi,
  /\banswer\s*[:=]/gi,
  /\banswer(?:\s+(?:to|for)\b[^.\n]{0,60}?)?\s+(?:is|was)\s*:?/gi,
];

/**
 * "The answer is X", "The final answer is X", "Final Answer: X", "Answer: X" (the last statement of the
 * strongest anchor present). X is the math span that follows, or the rest of the sentence when that is
 * an answer on its own (`3.5 dollars`, `Monday`), or the number that opens a sentence of prose (`12
 * since we have 3 groups of 4`), or — in prose such as `Jane started growing Sphere 3 hours ago` —
 * the last number or math span of the sentence. Markdown bold is ignored.
 */
export function extractAnswerIs(text: string): string | null {
  const plain = text.replace(/\*\*/g, "");
  for (const anchor of ANSWER_ANCHORS) {
    const matches = [...plain.matchAll(anchor)];
    for (let k = matches.length - 1; k >= 0; k--) {
      const m = matches[k]!;
      const answer = answerAt(plain, m.index + m[0].length);
      if (answer !== null) return answer;
    }
  }
  return null;
}

/** The answer that starts at `from` (just after an anchor), or null. */
function answerAt(text: string, from: number): string | null {
  let i = from;
  while (i < text.length && /[\s"'“”:#]/.test(text[i]!)) i++;
  const span = mathSpanAt(text, i);
  if (span) {
    const answer = joinSpans(text, [span]);
    if (answer !== "") return answer;
  }
  const rest = text.slice(i, i + 400);
  // The sentence: up to a full stop that is not a decimal point, or the end of the line.
  const sentence = cleanAnswer(/^[^\n]*?(?=\.(?:\s|$)|\n|$)/.exec(rest)![0]);
  if (sentence === "") return null;
  if (!isProse(sentence)) return sentence;
  // `12 since we have 3 groups of 4`: a number right after the anchor is the answer.
  const leading = LEADING_NUMBER.exec(sentence);
  if (leading) return leading[0].trim();
  const last = lastMathOrNumber(sentence);
  if (last !== null) return last;
  return sentence.split(/\s+/).length <= 6 ? sentence : null;
}

/**
 * A number as answers write it: sign, thousands commas, decimals, a decimal comma (`2,74`), `a/b`, a
 * percent sign. It must not continue a word or a number (`AZYUK2A` has none) but may be followed by a
 * unit (`1,000.99m²`).
 */
const NUMBER =
  /(?:(?<![\w.,)}\]])-)?(?<![\w.,])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+,\d{1,2}(?![\d,])|\d+(?:\.\d+)?(?:\/\d+)?|\.\d+)(?:\s*(?:\\?%|percent(?:age)?\b|pct\b))?/g;

/** A {@link NUMBER} at the start of the text. */
const LEADING_NUMBER = new RegExp(`^(?:${NUMBER.source})`);

/** The number on the last line of the form `A: <number>` (the few-shot "Q: … A: …" format). */
export function extractALine(text: string): string | null {
  const lines = text.split("\n");
  for (let k = lines.length - 1; k >= 0; k--) {
    const m = /^\s*A\s*:\s*(.*)$/.exec(lines[k]!);
    if (!m) continue;
    const numbers = m[1]!.match(NUMBER);
    if (numbers && numbers.length > 0) return numbers[numbers.length - 1]!;
  }
  return null;
}

/** Words that introduce a choice letter, in the languages lighteval's multilingual tasks use. */
const CHOICE_ANCHOR =
  /(?:answer|réponse|reponse|respuesta|antwort|risposta|resposta|antwoord|odpowiedź|cevap|jawaban|ответ|відповідь|答案|回答|正确答案|정답|答え|उत्तर|الإجابة)/gi;
/** What may stand between an anchor and its letter: "is", "est", "是", a colon, `$`, `\text{`, `(`. */
const AFTER_ANCHOR =
  /^\s*(?:(?:is|was|est|es|ist|è|é|是|为|:|：)\s*)*(?:the\s+)?[\s([]*(?:\$\s*)?(?:\\boxed\s*\{\s*)?(?:\\text(?:bf)?\s*\{\s*)?\(?([A-J])\)?(?![A-Za-z'’])/;

/**
 * A multiple-choice letter A–J stated as the answer: "answer is (C)", "Answer: C", "La réponse est C",
 * "答案是 D", or a line holding only "(C)" / "C)" / "C.". Returns the bare letter.
 */
export function extractMultipleChoice(text: string): string | null {
  const plain = text.replace(/\*\*/g, "");
  const anchors = [...plain.matchAll(CHOICE_ANCHOR)];
  for (let k = anchors.length - 1; k >= 0; k--) {
    const a = anchors[k]!;
    const after = plain.slice(a.index + a[0].length, a.index + a[0].length + 50).split("\n")[0]!;
    const m = AFTER_ANCHOR.exec(after);
    if (m) return m[1]!;
  }
  const alone = [...plain.matchAll(/^\s*\(?([A-J])\)?\.?\s*$/gm)];
  const last = alone[alone.length - 1];
  return last ? last[1]! : null;
}

/**
 * A choice letter from any output, for multiple-choice grading: a boxed letter, a stated one
 * ({@link extractMultipleChoice}), a letter opening the output (`D. it can't be A or B`, `(D) Alina`,
 * `B。不是 A`), else the last standalone letter among `letters` (`Because B is valid`).
 */
export function extractChoice(text: string, letters = "ABCD"): string | null {
  const t = cutAtEndOfTurn(text);
  const set = new Set(letters.toUpperCase());
  const accept = (l: string | null | undefined): string | null => (l && set.has(l) ? l : null);
  const boxed = extractBoxed(t);
  if (boxed !== null) {
    const m = /^(?:\\text(?:bf)?\s*\{\s*)?\(?\s*([A-J])\s*\)?\s*\}?$/.exec(boxed.trim());
    if (m && accept(m[1])) return m[1]!;
  }
  const stated = accept(extractMultipleChoice(t));
  if (stated) return stated;
  const start = /^\s*(?:\*\*)?\(?([A-J])\)?(?:\*\*)?(?=[.:)。，,、\s]|$)/.exec(t);
  if (start && accept(start[1])) return start[1]!;
  const standalone = [...t.matchAll(/(?<![A-Za-z])([A-J])(?![A-Za-z'’])/g)].map((m) => m[1]!);
  for (let k = standalone.length - 1; k >= 0; k--) if (accept(standalone[k])) return standalone[k]!;
  return null;
}

/** The last number in the text (sign, thousands commas, decimals and `a/b` kept): the usual fallback. */
export function extractLastNumber(text: string): string | null {
  const numbers = text.match(NUMBER);
  return numbers && numbers.length > 0 ? numbers[numbers.length - 1]!.trim() : null;
}

/** A math span: its content and where it starts and ends in the text. */
interface MathSpan {
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

function mathSpanAt(text: string, i: number): MathSpan | null {
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
function joinSpans(text: string, run: MathSpan[]): string {
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
function lastMathOrNumber(text: string): string | null {
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

/** The last math span or number of the text, whichever ends last. */
export function extractLastMath(text: string): string | null {
  return lastMathOrNumber(text);
}

/** Words an answer may contain without being prose: units, list joiners, percent. */
const ANSWER_WORDS = new Set(
  (
    "and or pct percent percentage dollars dollar cents cent euros units unit square cubic sq cm mm km " +
    "meters metres meter metre inches inch feet foot ft yards yard miles mile mph degrees degree radians " +
    "seconds second minutes minute hours hour days day weeks week months month years year kg grams gram " +
    "pounds pound lbs ounces liters litres ml gallons cups ways times points students people th st nd rd"
  ).split(" "),
);

/**
 * Whether `s` reads as prose rather than as an answer: two or more words outside math (units and
 * joiners excepted), or one word next to a number (`8 apples`, `Soucis : 2,74`). Words inside `\text{}`
 * and math spans count too, since `\text{no solution}` is a text answer only when it stands alone.
 */
function isProse(s: string): boolean {
  const words = s
    .replace(/\\(?:begin|end)\s*\{[a-zA-Z*]*\}/g, " ")
    .replace(/[A-Za-z]+\s*(?=[=_(])/g, " ")
    .replace(/\\[a-zA-Z]+/g, " ")
    .match(/[A-Za-zÀ-ÿ]{2,}/g)
    ?.filter(
      (w) => !ANSWER_WORDS.has(w.toLowerCase()) && !/^(?:sqrt|frac|sin|cos|tan|log|ln|pi|exp)$/.test(w),
    );
  if (!words || words.length === 0) return false;
  if (words.length >= 2) return true;
  return /\d/.test(s.replace(/\\[a-zA-Z]+/g, " "));
}

/**
 * The whole output when it is nothing but an answer (`\frac{1}{3}`, `$x = 5$`, `1,000.99€`, `28
 * percent`): one line, short, and not prose.
 */
export function extractWholeAnswer(text: string): string | null {
  const t = cutAtEndOfTurn(text).trim();
  if (t === "" || t.length > 300 || t.includes("\n")) return null;
  // Prose is not an answer, except one or two words without digits (`No solution`, `odd`).
  if (isProse(t) && (/\d/.test(t) || t.split(/\s+/).length > 2 || /[.!?]$/.test(t))) return null;
  const answer = cleanAnswer(t);
  return answer === "" ? null : answer;
}

/** Strips markdown bold, surrounding `$…$` / `\(…\)` / quotes and trailing punctuation. */
function cleanAnswer(s: string): string {
  let a = s.trim();
  for (let guard = 0; guard < 4; guard++) {
    const before = a;
    a = a.replace(/^\*+|\*+$/g, "").trim();
    a = a.replace(/^["“]|["”]$/g, "").trim();
    const m =
      /^\$+([^$]*)\$+[.,;]?$/.exec(a) ??
      /^\\\(([\s\S]*)\\\)[.,;]?$/.exec(a) ??
      /^\\\[([\s\S]*)\\\][.,;]?$/.exec(a);
    if (m) a = m[1]!.trim();
    // A trailing `...` is an ellipsis (part of the answer), not a full stop.
    a = a.replace(/(?:(?<!\.)\.|[,;:]|\\[,;:! ]|\\q?quad)+$/, "").trim();
    if (a === before) break;
  }
  return a;
}

/** The built-in extractors by name (`choice` with the default letters A–D). */
export const EXTRACTORS: Readonly<Record<AnswerExtractorName, AnswerExtractor>> = {
  boxed: extractBoxed,
  gsm8k: extractGsm8k,
  minerva: extractMinerva,
  answerIs: extractAnswerIs,
  aColon: extractALine,
  multipleChoice: extractMultipleChoice,
  choice: (text) => extractChoice(text),
  wholeAnswer: extractWholeAnswer,
  lastMath: extractLastMath,
  lastNumber: extractLastNumber,
};

/**
 * Default order: explicit conventions first (box, `####`, the Minerva sentence, "the answer is", `A:`
 * line, a stated choice letter), then an output that is only an answer, then the last math span or
 * number.
 */
export const DEFAULT_EXTRACTION_ORDER: readonly AnswerExtractorName[] = [
  "boxed",
  "gsm8k",
  "minerva",
  "answerIs",
  "aColon",
  "multipleChoice",
  "wholeAnswer",
  "lastMath",
];

/**
 * Extracts the final answer: the first extractor in `order` (names or functions) that finds one, or
 * null when none does. Text after an end-of-turn token is dropped first.
 */
export function extractAnswer(
  text: string,
  order: readonly (AnswerExtractorName | AnswerExtractor)[] = DEFAULT_EXTRACTION_ORDER,
): string | null {
  if (typeof text !== "string" || text === "") return null;
  const t = cutAtEndOfTurn(text);
  for (const entry of order) {
    const extractor = typeof entry === "function" ? entry : EXTRACTORS[entry];
    if (!extractor) continue;
    const answer = extractor(t);
    if (answer !== null && answer !== "") return answer;
  }
  return null;
}
