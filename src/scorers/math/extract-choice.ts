/** Multiple-choice answers: a letter A–J stated as the answer, boxed, or standing alone. */
import { extractBoxed } from "./extract-boxed.js";
import { cutAtEndOfTurn } from "./extract-text.js";

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
