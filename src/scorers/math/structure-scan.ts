/** The top-level separators of an answer's text: commas, semicolons, relations and unions. */

/** A separator: a character, or the name of a TeX command (`\le`, `\cup`, …). */
export type Separator = "," | ";" | "=" | "<" | ">" | "le" | "ge" | "ne" | "in" | "approx" | "cup";
/** One separator found in a text: where it starts, how long it is, which one. */
export interface Split {
  index: number;
  length: number;
  sep: Separator;
}

/** Separators that make an answer a relation (equation, assignment, inequality). */
export const RELATIONS: ReadonlySet<Separator> = new Set(["=", "<", ">", "le", "ge", "ne", "in", "approx"]);
const SEPARATOR_COMMANDS: ReadonlySet<string> = new Set(["le", "ge", "ne", "in", "approx", "cup"]);
const OPEN_COMMANDS = new Set(["{", "begin", "lfloor", "lceil"]);
const CLOSE_COMMANDS = new Set(["}", "end", "rfloor", "rceil"]);

/**
 * Top-level separators of `s` (outside any bracket). Brackets are counted, not matched, so an interval
 * such as `[0,1)` nests correctly. Also reports where the group opened by the first character closes.
 */
export function scan(s: string): { splits: Split[]; firstGroupEnd: number } {
  const splits: Split[] = [];
  let depth = 0;
  let firstGroupEnd = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\") {
      let j = i + 1;
      while (j < s.length && /[a-zA-Z]/.test(s[j]!)) j++;
      const name = j === i + 1 ? (s[i + 1] ?? "") : s.slice(i + 1, j);
      const end = j === i + 1 ? i + 2 : j;
      if (OPEN_COMMANDS.has(name)) depth++;
      else if (CLOSE_COMMANDS.has(name)) {
        depth--;
        if (depth === 0 && firstGroupEnd < 0) firstGroupEnd = end;
      } else if (depth === 0 && SEPARATOR_COMMANDS.has(name)) {
        splits.push({ index: i, length: end - i, sep: name as Separator });
      }
      i = end - 1;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0 && firstGroupEnd < 0) firstGroupEnd = i + 1;
    } else if (depth === 0 && (c === "," || c === ";" || c === "=" || c === "<" || c === ">")) {
      splits.push({ index: i, length: 1, sep: c });
    }
  }
  return { splits, firstGroupEnd };
}

/** The trimmed parts of `s` between the given splits. */
export function parts(s: string, splits: readonly Split[]): string[] {
  const out: string[] = [];
  let start = 0;
  for (const sp of splits) {
    out.push(s.slice(start, sp.index).trim());
    start = sp.index + sp.length;
  }
  out.push(s.slice(start).trim());
  return out;
}
