/**
 * String-level clean-up of a final answer before it is parsed: the presentational LaTeX that does not
 * change the value (`\left`, `\dfrac`, `\,`, `\text{}`), currency and degree signs, percent signs and
 * trailing units. The conventions follow the hendrycks MATH `strip_string` normaliser and Math-Verify,
 * but unit stripping is deliberately conservative: a word is only dropped when it follows a number and
 * is a known unit (or sits in a trailing `\text{...}`), so `15x` and `\pi` are never touched.
 */

import { type ConventionSet, resolveConventions } from "./conventions.js";

/** A normalised answer. */
export interface NormalizedAnswer {
  /** The cleaned LaTeX/plain text. */
  text: string;
  /** The answer carried a percent sign (`10\%`, `10 percent`), now removed. */
  percent: boolean;
}

const UNICODE: ReadonlyArray<readonly [RegExp, string]> = [
  [/[\u2212\u2012\u2013\u2014]/g, "-"],
  [/\u00d7/g, "\\times "],
  [/[\u00b7\u22c5]/g, "\\cdot "],
  [/\u00f7/g, "\\div "],
  [/\u03c0/g, "\\pi "],
  [/\u221e/g, "\\infty "],
  [/\u221a/g, "\\sqrt "],
  [/\u2264/g, "\\le "],
  [/\u2265/g, "\\ge "],
  [/\u2260/g, "\\ne "],
  [/\u00b0/g, "^\\circ "],
  [/\u222a/g, "\\cup "],
  [/\u2208/g, "\\in "],
  [/\u00b1/g, "\\pm "],
  [/\u2213/g, "\\mp "],
  [/\u2205/g, "\\emptyset "],
  [/[\u00a0\u2009\u202f]/g, " "],
  [/\u00b2/g, "^2"],
  [/\u00b3/g, "^3"],
  [/\uff0c/g, ","],
];

/** Currency signs other than `$` (which LaTeX handling removes below). */
const CURRENCY = /[\u20ac\u00a3\u00a5\u20b9\u20bd\u20a9\u20aa\u20ab\u0e3f]/g;

/** Commands renamed to one spelling, so later steps only know one form. */
const RENAMES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\\[dtc]frac(?![a-zA-Z])/g, "\\frac"],
  [/\\[dt]binom(?![a-zA-Z])/g, "\\binom"],
  [/\\(?:leq|leqslant)(?![a-zA-Z])/g, "\\le"],
  [/\\(?:geq|geqslant)(?![a-zA-Z])/g, "\\ge"],
  [/\\neq(?![a-zA-Z])/g, "\\ne"],
  [/\\lt(?![a-zA-Z])/g, "<"],
  [/\\gt(?![a-zA-Z])/g, ">"],
  [/<=/g, "\\le "],
  [/>=/g, "\\ge "],
  [/!=/g, "\\ne "],
  [/\\(?:lvert|rvert|vert|mid)(?![a-zA-Z])/g, "|"],
  [/\\lbrace(?![a-zA-Z])/g, "\\{"],
  [/\\rbrace(?![a-zA-Z])/g, "\\}"],
  [/\\langle(?![a-zA-Z])/g, "("],
  [/\\rangle(?![a-zA-Z])/g, ")"],
  [/\\varnothing(?![a-zA-Z])/g, "\\emptyset"],
  [/\\(?:displaystyle|textstyle|scriptstyle|limits)(?![a-zA-Z])/g, ""],
  // Sizing: `\left.` and `\right.` are invisible delimiters; the others just wrap a real one.
  [/\\(?:left|right)\s*\.(?!\d)/g, ""],
  [/\\(?:left|right|[bB]igg?[lr]?)(?![a-zA-Z])/g, ""],
  // Thousands separators spelled `16,\!386` or `14 {, }916`, then spacing. `\!` is a negative space:
  // removing it keeps `16,\!386` one number. `(?<!\\)` keeps the row separator `\\` intact.
  [/(\d),\\!\s*(?=\d{3})/g, "$1,"],
  [/(\d)\s*\{\s*,\s*\}\s*(?=\d{3})/g, "$1,"],
  [/(?<!\\)\\!/g, ""],
  [/(?<!\\)\\[,;: ]/g, " "],
  [/\\(?:q?quad|enspace|thinspace)(?![a-zA-Z])/g, " "],
  [/\\hspace\*?\{[^{}]*\}/g, " "],
  [/~/g, " "],
  // Math delimiters left inside an answer (`12 $ and $13`).
  [/\\\$/g, "\\dollar "],
  [/\$/g, ""],
];

/** Degree and currency signs, dropped under the `units` convention. */
const UNIT_SIGNS: ReadonlyArray<readonly [RegExp, string]> = [
  // Degrees: `30^\circ`, `30^{\circ}`, `30\degree`.
  [/\^\s*\{\s*\\circ\s*\}/g, ""],
  [/\^\s*\\circ(?![a-zA-Z])/g, ""],
  [/\\(?:circ|degree)(?![a-zA-Z])/g, ""],
  [/\\dollar /g, ""],
  [CURRENCY, ""],
];

/** `30^\circ` inside a trigonometric function becomes radians, so `\sin(90^\circ - x)` is `\cos x`. */
const TRIG = /\\(?:sin|cos|tan|cot|sec|csc)(?![a-zA-Z])/;
const DEGREES = /(\d+(?:\.\d+)?)\s*\^\s*(?:\{\s*\\circ\s*\}|\\circ(?![a-zA-Z]))/g;

/** Text-style commands whose argument is kept as plain text. */
const TEXT_COMMANDS =
  /\\(?:text|textbf|textit|textrm|textsf|texttt|textnormal|mathrm|mathbf|mathit|mathsf|mathtt|mathbb|mathcal|mbox|operatorname|emph|boxed|fbox)\s*\{/;

/**
 * Units that may follow a number. Single letters and `in` are only stripped after a space (`5 m`),
 * so `5m` or `2in` stay algebra. `\text{...}` at the end is dropped whatever it says.
 */
const UNIT_WORDS = [
  "dollars?",
  "cents?",
  "euros?",
  "pounds?",
  "units?",
  "square\\s+(?:units?|feet|foot|inch(?:es)?|meters?|metres?|centimeters?|miles?|yards?)",
  "sq\\.?\\s*(?:units?|ft|in|m|cm|km|mi)",
  "cubic\\s+(?:units?|feet|inch(?:es)?|meters?|centimeters?|yards?)",
  "(?:centi|milli|kilo)?met(?:er|re)s?",
  "cm",
  "mm",
  // `m²` glued to a number is a unit; a bare `2m` stays algebra.
  "m(?=\\s*\\^\\s*\\{?[23])",
  "km",
  "inch(?:es)?",
  "feet",
  "foot",
  "ft",
  "yards?",
  "yd",
  "miles?",
  "mi",
  "mph",
  "kph",
  "degrees?",
  "deg",
  "radians?",
  "seconds?",
  "secs?",
  "minutes?",
  "mins?",
  "hours?",
  "hrs?",
  "days?",
  "weeks?",
  "months?",
  "years?",
  "(?:kilo|milli)?grams?",
  "kg",
  "mg",
  "lbs?",
  "ounces?",
  "oz",
  "lit(?:er|re)s?",
  "ml",
  "gallons?",
  "cups?",
  "people",
  "persons?",
  "students?",
  "points?",
  "ways?",
  "times",
  "th",
  "st",
  "nd",
  "rd",
];
const SPACED_UNIT_WORDS = ["m", "g", "s", "h", "l", "in", "min", "sec"];

const UNIT_RE = new RegExp(
  `^(.*?[0-9}).\\]!]|.*?\\\\pi)\\s*(?:${UNIT_WORDS.join("|")})(?:\\s*\\^\\s*\\{?[23]\\}?)?\\s*$`,
  "i",
);
const SPACED_UNIT_RE = new RegExp(
  `^(.*?[0-9}).\\]])\\s+(?:${SPACED_UNIT_WORDS.join("|")})(?:\\s*\\^\\s*\\{?[23]\\}?)?\\s*$`,
);
const TRAILING_TEXT_RE =
  /^(.*\S)\s*\\(?:text|mbox|textrm|textnormal)\s*\{\s*[a-zA-Z][a-zA-Z .'/-]*\}(?:\s*\^\s*\{?[23]\}?)?\s*$/;

const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;

const REPEATING = /(\d*)\.(\d*)\\overline\s*\{(\d{1,12})\}/g;

/** `0.1\overline{6}` → `\frac{15}{90}`: A.B(C) = (ABC − AB) / (10^|B|·(10^|C| − 1)). */
function repeatingToFraction(whole: string, fixed: string, repeat: string): string {
  const all = BigInt(`${whole}${fixed}${repeat}` || "0");
  const head = BigInt(`${whole}${fixed}` || "0");
  const den = 10n ** BigInt(fixed.length) * (10n ** BigInt(repeat.length) - 1n);
  return `\\frac{${all - head}}{${den}}`;
}

/** Index just past the `}` that closes the `{` at `open`, honouring `\{`/`\}` escapes; -1 if none. */
export function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Removes wrappers that surround the whole answer: `$…$`, `\(…\)`, `\[…\]`, `\boxed{…}`. */
function stripWrappers(input: string): string {
  let s = input.trim();
  for (let guard = 0; guard < 8; guard++) {
    const before = s;
    // A trailing `...` is an ellipsis, part of the answer; a single full stop is punctuation.
    s = s.replace(/(?:(?<!\.)\.|[,;])+$/, "").trim();
    let m = /^\$\$?([^$]*)\$\$?$/.exec(s);
    if (m) s = m[1]!.trim();
    m = /^\\\(([\s\S]*)\\\)$/.exec(s) ?? /^\\\[([\s\S]*)\\\]$/.exec(s);
    if (m) s = m[1]!.trim();
    const boxed = /^\\(?:boxed|fbox)\s*\{/.exec(s);
    if (boxed) {
      const end = matchBrace(s, boxed[0].length - 1);
      if (end === s.length) s = s.slice(boxed[0].length, -1).trim();
    }
    if (s === before) break;
  }
  return s;
}

/** `\text{abc}` → `abc` for every text-style command (innermost first, bounded). */
function unwrapTextCommands(input: string): string {
  let s = input;
  for (let guard = 0; guard < 64; guard++) {
    const m = TEXT_COMMANDS.exec(s);
    if (!m) break;
    const open = m.index + m[0].length - 1;
    const end = matchBrace(s, open);
    if (end < 0) {
      s = s.slice(0, m.index) + s.slice(open + 1);
      continue;
    }
    s = s.slice(0, m.index) + s.slice(open + 1, end - 1) + s.slice(end);
  }
  return s;
}

/**
 * Normalises one answer string. Pure and cheap (a fixed number of regex passes); callers bound the
 * input length first.
 */
export function normalizeAnswer(
  raw: string,
  conventions: ConventionSet = resolveConventions(),
): NormalizedAnswer {
  // Plain numbers (most golds and many answers) have nothing to clean.
  if (PLAIN_NUMBER.test(raw)) return { text: raw, percent: false };
  let s = stripWrappers(raw);
  for (const [re, to] of UNICODE) s = s.replace(re, to);
  if (conventions.degreesInTrig && TRIG.test(s)) s = s.replace(DEGREES, "($1\\cdot\\frac{\\pi}{180})");
  for (const [re, to] of RENAMES) s = s.replace(re, to);
  if (conventions.units) for (const [re, to] of UNIT_SIGNS) s = s.replace(re, to);

  let percent = false;
  const withoutPercent = s
    .replace(/\\?%/g, "")
    .replace(/\\(?:text|mbox|textrm|textnormal)\s*\{\s*(?:percent(?:age)?|pct)\s*\}/gi, "")
    .replace(/(?<=[\d}\s])\s*(?:percent(?:age)?|pct)\s*$/i, "");
  if (withoutPercent !== s) {
    percent = true;
    s = withoutPercent;
  }

  if (conventions.units) {
    for (let guard = 0; guard < 4; guard++) {
      const m = TRAILING_TEXT_RE.exec(s);
      if (!m) break;
      s = m[1]!;
    }
  }
  s = unwrapTextCommands(s);
  if (conventions.units) {
    for (let guard = 0; guard < 4; guard++) {
      const m = UNIT_RE.exec(s) ?? SPACED_UNIT_RE.exec(s);
      if (!m) break;
      s = m[1]!;
    }
  }
  s = s.replace(REPEATING, (_m, whole: string, fixed: string, repeat: string) =>
    repeatingToFraction(whole, fixed, repeat),
  );
  // `\overline{12}` that is not a repeating decimal is decoration (Minerva unwraps it).
  s = s.replace(/\\overline\s*\{([^{}]*)\}/g, "$1");
  // "2 and 3", "x = 1 or x = 2", "(11,7)or(7,11)": lists.
  s = s.replace(/\s+(?:and|or)\s+/g, ", ").replace(/\)\s*(?:and|or)\s*\(/g, "), (");
  // LaTeX thousands separator `1{,}000`.
  s = s.replace(/(\d)\{,\}(?=\d{3})/g, "$1,");
  s = s.replace(/\s+/g, " ").trim();
  s = stripWrappers(s);
  return { text: s, percent };
}
