/**
 * Reading answers out of prose, shared by the extractors: where a model's turn ends, what a number
 * looks like, whether a phrase is prose or an answer, and the clean-up of an extracted answer.
 */

/** Tokens that end a model's turn; what follows them (a hallucinated next turn) is not the answer. */
const END_OF_TURN = /<\|im_start\|>|<\|im_end\|>|<\|endoftext\|>|<\|eot_id\|>|<\|end\|>|<\/s>/;

/** The output up to the first end-of-turn token. */
export function cutAtEndOfTurn(text: string): string {
  const m = END_OF_TURN.exec(text);
  return m ? text.slice(0, m.index) : text;
}

/**
 * A number as answers write it: sign, thousands commas, decimals, a decimal comma (`2,74`), `a/b`, a
 * percent sign. It must not continue a word or a number (`AZYUK2A` has none) but may be followed by a
 * unit (`1,000.99m²`).
 */
export const NUMBER =
  /(?:(?<![\w.,)}\]])-)?(?<![\w.,])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+,\d{1,2}(?![\d,])|\d+(?:\.\d+)?(?:\/\d+)?|\.\d+)(?:\s*(?:\\?%|percent(?:age)?\b|pct\b))?/g;

/** A {@link NUMBER} at the start of the text. */
export const LEADING_NUMBER = new RegExp(`^(?:${NUMBER.source})`);

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
export function isProse(s: string): boolean {
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

/** Strips markdown bold, surrounding `$…$` / `\(…\)` / quotes and trailing punctuation. */
export function cleanAnswer(s: string): string {
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
