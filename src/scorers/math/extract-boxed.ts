/** The boxed-answer convention: `\boxed{…}` and `\fbox{…}`, several boxes joined into one answer. */

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
