/**
 * A small parser for the scalar math expressions that appear in final answers: LaTeX
 * (`2\sqrt{2}`, `\frac{\pi}{2}`, `\dfrac12`, `x^{2}+1`) and the plain-text forms models also write
 * (`2*sqrt(2)`, `pi/2`, `x**2+1`). It builds a tiny expression tree that {@link ./evaluate.js}
 * evaluates exactly (rationals) or numerically (through mathjs).
 *
 * Why our own parser: neither candidate CAS reads MATH-style LaTeX reliably (mathjs reads no LaTeX at
 * all; the compute engine rejects `\dfrac`, `\frac{270}7` and runs out of memory on `10^{10^{10}}`),
 * and a grader must decide, never hang. The grammar is deliberately small; anything outside it is a
 * {@link MathParseError}, and the caller falls back to comparing normalised text.
 *
 * Every parse is bounded: at most `maxNodes` tree nodes and `maxDepth` nested groups, so deeply nested
 * or enormous input fails fast instead of overflowing the stack.
 */

/** Binary operators of the expression tree. */
export type BinaryOp = "+" | "-" | "*" | "/" | "^";

/** Functions the evaluator knows. Anything else is a parse error (→ text comparison). */
export type FunctionName =
  | "sqrt"
  | "root"
  | "sin"
  | "cos"
  | "tan"
  | "cot"
  | "sec"
  | "csc"
  | "arcsin"
  | "arccos"
  | "arctan"
  | "sinh"
  | "cosh"
  | "tanh"
  | "ln"
  | "log"
  | "exp"
  | "abs"
  | "floor"
  | "ceil"
  | "factorial"
  | "binom";

/**
 * Expression tree. Constants are symbols whose name starts with `#` (`#pi`, `#e`, `#i`, `#inf`) so they
 * can never collide with a variable. `pm` is `left ± right` (or `∓` when `sign` is -1, `left` null for
 * a leading `±`); {@link expandPlusMinus} turns it into the two readings.
 */
export type Expr =
  | { readonly kind: "num"; readonly text: string }
  | { readonly kind: "sym"; readonly name: string }
  | { readonly kind: "neg"; readonly arg: Expr }
  | { readonly kind: "op"; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: "pm"; readonly left: Expr | null; readonly right: Expr; readonly sign: 1 | -1 }
  | { readonly kind: "call"; readonly fn: FunctionName; readonly args: readonly Expr[] };

/** Limits that keep one parse small and fast. */
export interface ParseLimits {
  /** Most tree nodes one expression may have (default 400). */
  maxNodes?: number;
  /** Most nested groups/operators (default 48); deeper input is rejected, not recursed into. */
  maxDepth?: number;
}

/** The input is not an expression this parser understands (or it broke a limit). */
export class MathParseError extends Error {
  /** True when the input broke a size limit rather than the grammar. */
  readonly limit: boolean;
  constructor(message: string, limit = false) {
    super(message);
    this.name = "MathParseError";
    this.limit = limit;
  }
}

type TokenType = "num" | "cmd" | "word" | "op";
interface Token {
  type: TokenType;
  value: string;
}

const FUNCTION_WORDS: Readonly<Record<string, FunctionName>> = {
  sin: "sin",
  cos: "cos",
  tan: "tan",
  cot: "cot",
  sec: "sec",
  csc: "csc",
  arcsin: "arcsin",
  arccos: "arccos",
  arctan: "arctan",
  asin: "arcsin",
  acos: "arccos",
  atan: "arctan",
  sinh: "sinh",
  cosh: "cosh",
  tanh: "tanh",
  ln: "ln",
  log: "log",
  exp: "exp",
  sqrt: "sqrt",
  abs: "abs",
  floor: "floor",
  ceil: "ceil",
};

/** `\sin^{-1}` means arcsin, not 1/sin. */
const INVERSE: Partial<Record<FunctionName, FunctionName>> = { sin: "arcsin", cos: "arccos", tan: "arctan" };

const GREEK = new Set([
  "alpha",
  "beta",
  "gamma",
  "delta",
  "epsilon",
  "varepsilon",
  "zeta",
  "eta",
  "theta",
  "vartheta",
  "iota",
  "kappa",
  "lambda",
  "mu",
  "nu",
  "xi",
  "omicron",
  "rho",
  "varrho",
  "sigma",
  "varsigma",
  "tau",
  "upsilon",
  "phi",
  "varphi",
  "chi",
  "psi",
  "omega",
  "Gamma",
  "Delta",
  "Theta",
  "Lambda",
  "Xi",
  "Pi",
  "Sigma",
  "Upsilon",
  "Phi",
  "Psi",
  "Omega",
]);

const CONSTANT_WORDS: Readonly<Record<string, string>> = {
  pi: "#pi",
  inf: "#inf",
  infty: "#inf",
  infinity: "#inf",
};

/** Tokens that end an expression (closing groups, separators, relations). */
const STOP_OPS = new Set([")", "]", "}", ",", ";", "=", "<", ">", "&", ":"]);

function tokenize(input: string, maxTokens: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = input.length;
  while (i < n) {
    if (tokens.length > maxTokens) throw new MathParseError("too many tokens", true);
    const ch = input[i]!;
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
      continue;
    }
    if (ch === "\\") {
      let j = i + 1;
      while (j < n && /[a-zA-Z]/.test(input[j]!)) j++;
      if (j === i + 1) {
        // A one-character command: \{ \} \| \\ \, …
        if (i + 1 >= n) throw new MathParseError("dangling backslash");
        tokens.push({ type: "cmd", value: input[i + 1]! });
        i += 2;
      } else {
        tokens.push({ type: "cmd", value: input.slice(i + 1, j) });
        i = j;
      }
      continue;
    }
    if (/[0-9.]/.test(ch)) {
      // Plain-text scientific notation `1.5e3` is one literal (a lone `e` after a number is Euler's e).
      const m = /^(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d{1,3}(?![a-zA-Z0-9]))?/.exec(input.slice(i, i + 400));
      if (!m) throw new MathParseError(`stray "${ch}"`);
      tokens.push({ type: "num", value: m[0] });
      i += m[0].length;
      continue;
    }
    if (/[a-zA-Z]/.test(ch)) {
      let j = i + 1;
      while (j < n && /[a-zA-Z]/.test(input[j]!)) j++;
      tokens.push({ type: "word", value: input.slice(i, j) });
      i = j;
      continue;
    }
    if (ch === "*" && input[i + 1] === "*") {
      tokens.push({ type: "op", value: "^" });
      i += 2;
      continue;
    }
    tokens.push({ type: "op", value: ch });
    i++;
  }
  return tokens;
}

class Parser {
  private pos = 0;
  private nodes = 0;
  private depth = 0;
  private absOpen = 0;
  private readonly maxNodes: number;
  private readonly maxDepth: number;

  constructor(
    private readonly tokens: Token[],
    limits: ParseLimits,
  ) {
    this.maxNodes = limits.maxNodes ?? 400;
    this.maxDepth = limits.maxDepth ?? 48;
  }

  parseAll(): Expr {
    if (this.tokens.length === 0) throw new MathParseError("empty expression");
    const e = this.expr();
    if (this.pos < this.tokens.length) {
      const t = this.tokens[this.pos]!;
      throw new MathParseError(`unexpected "${t.type === "cmd" ? `\\${t.value}` : t.value}"`);
    }
    return e;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private isOp(value: string, t = this.peek()): boolean {
    return t !== undefined && t.type === "op" && t.value === value;
  }

  private isCmd(value: string, t = this.peek()): boolean {
    return t !== undefined && t.type === "cmd" && t.value === value;
  }

  private expect(type: TokenType, value: string): void {
    const t = this.peek();
    if (!t || t.type !== type || t.value !== value) throw new MathParseError(`expected "${value}"`);
    this.pos++;
  }

  private node<E extends Expr>(e: E): E {
    if (++this.nodes > this.maxNodes) throw new MathParseError("expression too large", true);
    return e;
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) throw new MathParseError("expression nested too deeply", true);
  }

  private leave(): void {
    this.depth--;
  }

  /** additive := term (('+' | '-' | '\pm' | '\mp') term)* */
  private expr(): Expr {
    this.enter();
    let left = this.term();
    for (;;) {
      const t = this.peek();
      if (this.isOp("+", t) || this.isOp("-", t)) {
        this.pos++;
        const right = this.term();
        left = this.node({ kind: "op", op: t!.value as BinaryOp, left, right });
      } else if (this.isCmd("pm", t) || this.isCmd("mp", t)) {
        this.pos++;
        const right = this.term();
        left = this.node({ kind: "pm", left, right, sign: t!.value === "pm" ? 1 : -1 });
      } else break;
    }
    this.leave();
    return left;
  }

  /** term := unary (('*' | '/' | '\cdot' | '\times' | '\div' | implicit) unary)* */
  private term(): Expr {
    let left = this.unary();
    left = this.mixedNumber(left);
    for (;;) {
      const t = this.peek();
      if (!t) break;
      let op: BinaryOp | null = null;
      if (t.type === "op" && (t.value === "*" || t.value === "/")) op = t.value;
      else if (t.type === "cmd" && (t.value === "cdot" || t.value === "times" || t.value === "ast")) op = "*";
      else if (t.type === "cmd" && t.value === "div") op = "/";
      if (op) {
        this.pos++;
        const right = this.unary();
        left = this.node({ kind: "op", op, left, right });
      } else if (this.startsPrimary(t)) {
        const right = this.power();
        left = this.node({ kind: "op", op: "*", left, right });
      } else break;
    }
    return left;
  }

  /**
   * `2\frac{1}{2}` is the mixed number 2½ as competition answers write it, not 2·½. Only an integer
   * literal directly followed by a fraction of two integer literals is read this way.
   */
  private mixedNumber(left: Expr): Expr {
    const whole = left.kind === "neg" ? left.arg : left;
    if (whole.kind !== "num" || whole.text.includes(".") || !this.isCmd("frac")) return left;
    const save = this.pos;
    const frac = this.primary();
    if (
      frac.kind === "op" &&
      frac.op === "/" &&
      frac.left.kind === "num" &&
      frac.right.kind === "num" &&
      !frac.left.text.includes(".") &&
      !frac.right.text.includes(".")
    ) {
      const sum: Expr = this.node({ kind: "op", op: "+", left: whole, right: frac });
      return left.kind === "neg" ? this.node({ kind: "neg", arg: sum }) : sum;
    }
    this.pos = save;
    return left;
  }

  /** Can this token begin a factor of an implicit product (`2x`, `3\sqrt{2}`, `(a)(b)`)? */
  private startsPrimary(t: Token): boolean {
    switch (t.type) {
      case "num":
      case "word":
        return true;
      case "op":
        return (
          t.value === "(" || t.value === "[" || t.value === "{" || (t.value === "|" && this.absOpen === 0)
        );
      case "cmd":
        return (
          t.value === "frac" ||
          t.value === "sqrt" ||
          t.value === "binom" ||
          t.value === "pi" ||
          t.value === "infty" ||
          t.value === "lfloor" ||
          t.value === "lceil" ||
          GREEK.has(t.value) ||
          t.value in FUNCTION_WORDS
        );
    }
  }

  /** unary := ('-' | '+' | '\pm' | '\mp') unary | power */
  private unary(): Expr {
    const t = this.peek();
    if (this.isOp("-", t)) {
      this.pos++;
      this.enter();
      const arg = this.unary();
      this.leave();
      return this.node({ kind: "neg", arg });
    }
    if (this.isOp("+", t)) {
      this.pos++;
      return this.unary();
    }
    if (this.isCmd("pm", t) || this.isCmd("mp", t)) {
      this.pos++;
      this.enter();
      const right = this.unary();
      this.leave();
      return this.node({ kind: "pm", left: null, right, sign: t!.value === "pm" ? 1 : -1 });
    }
    return this.power();
  }

  /** power := postfix ('^' exponent)?   (right-associative through {@link exponent}) */
  private power(): Expr {
    const base = this.postfix();
    if (!this.isOp("^")) return base;
    this.pos++;
    return this.node({ kind: "op", op: "^", left: base, right: this.exponent() });
  }

  private exponent(): Expr {
    this.enter();
    let e: Expr;
    const t = this.peek();
    if (!t) throw new MathParseError("missing exponent");
    if (this.isOp("-", t) || this.isOp("+", t)) {
      // Plain-text `2^-1`.
      this.pos++;
      const arg = this.exponent();
      e = t.value === "-" ? this.node({ kind: "neg", arg }) : arg;
      this.leave();
      return e;
    }
    if (t.type === "word") {
      // `e^x2` in TeX is e^{x}·2: a bare exponent letter is a single character.
      e = this.singleLetter();
    } else {
      // A bare number exponent is read whole (`2^10` = 1024), as plain-text writers mean it.
      e = this.postfix();
    }
    if (this.isOp("^")) {
      this.pos++;
      e = this.node({ kind: "op", op: "^", left: e, right: this.exponent() });
    }
    this.leave();
    return e;
  }

  /** postfix := primary ('!')* */
  private postfix(): Expr {
    let e = this.primary();
    while (this.isOp("!")) {
      this.pos++;
      e = this.node({ kind: "call", fn: "factorial", args: [e] });
    }
    return e;
  }

  private group(close: string, closeType: TokenType = "op"): Expr {
    this.enter();
    const e = this.expr();
    this.expect(closeType, close);
    this.leave();
    return e;
  }

  /** A TeX macro argument: `{...}`, or one character (`\frac12`), or one command (`\frac\pi2`). */
  private argument(): Expr {
    const t = this.peek();
    if (!t) throw new MathParseError("missing argument");
    if (this.isOp("{", t)) {
      this.pos++;
      return this.group("}");
    }
    if (t.type === "num") {
      const digit = t.value[0]!;
      if (digit === ".") throw new MathParseError("bad argument");
      this.consumeFirstChar(t);
      return this.node({ kind: "num", text: digit });
    }
    if (t.type === "word") return this.singleLetter();
    if (t.type === "cmd") return this.primary();
    throw new MathParseError("bad argument");
  }

  /** Consumes the first character of a number/word token, leaving the rest for later. */
  private consumeFirstChar(t: Token): void {
    if (t.value.length > 1) this.tokens[this.pos] = { type: t.type, value: t.value.slice(1) };
    else this.pos++;
  }

  private singleLetter(): Expr {
    const t = this.peek()!;
    const letter = t.value[0]!;
    this.consumeFirstChar(t);
    return this.node({ kind: "sym", name: letterName(letter) });
  }

  private primary(): Expr {
    const t = this.peek();
    if (!t) throw new MathParseError("unexpected end");
    // Counted here too: `\sqrt\sqrt\sqrt…` recurses through commands without opening a group.
    this.enter();
    let e: Expr;
    switch (t.type) {
      case "num":
        this.pos++;
        e = this.node({ kind: "num", text: t.value });
        break;
      case "word":
        e = this.word(t);
        break;
      case "op":
        e = this.opPrimary(t);
        break;
      case "cmd":
        e = this.command(t);
        break;
    }
    this.leave();
    return e;
  }

  private opPrimary(t: Token): Expr {
    switch (t.value) {
      case "(":
        this.pos++;
        return this.group(")");
      case "[":
        this.pos++;
        return this.group("]");
      case "{":
        this.pos++;
        return this.group("}");
      case "|": {
        if (this.absOpen > 0) throw new MathParseError("nested absolute value");
        this.pos++;
        this.absOpen++;
        const e = this.group("|");
        this.absOpen--;
        return this.node({ kind: "call", fn: "abs", args: [e] });
      }
      default:
        throw new MathParseError(
          STOP_OPS.has(t.value) ? `unexpected "${t.value}"` : `unknown symbol "${t.value}"`,
        );
    }
  }

  private command(t: Token): Expr {
    const name = t.value;
    if (name === "frac") {
      this.pos++;
      const num = this.argument();
      const den = this.argument();
      return this.node({ kind: "op", op: "/", left: num, right: den });
    }
    if (name === "binom") {
      this.pos++;
      const n = this.argument();
      const k = this.argument();
      return this.node({ kind: "call", fn: "binom", args: [n, k] });
    }
    if (name === "sqrt") {
      this.pos++;
      if (this.isOp("[")) {
        this.pos++;
        const index = this.group("]");
        const radicand = this.argument();
        return this.node({ kind: "call", fn: "root", args: [radicand, index] });
      }
      return this.node({ kind: "call", fn: "sqrt", args: [this.argument()] });
    }
    if (name === "pi") {
      this.pos++;
      return this.node({ kind: "sym", name: "#pi" });
    }
    if (name === "infty") {
      this.pos++;
      return this.node({ kind: "sym", name: "#inf" });
    }
    if (name === "lfloor" || name === "lceil") {
      this.pos++;
      const e = this.group(name === "lfloor" ? "rfloor" : "rceil", "cmd");
      return this.node({ kind: "call", fn: name === "lfloor" ? "floor" : "ceil", args: [e] });
    }
    if (GREEK.has(name)) {
      this.pos++;
      return this.subscripted(name);
    }
    const fn = FUNCTION_WORDS[name];
    if (fn) {
      this.pos++;
      return this.applyFunction(fn);
    }
    throw new MathParseError(`unsupported command \\${name}`);
  }

  private word(t: Token): Expr {
    const w = t.value;
    const constant = CONSTANT_WORDS[w];
    if (constant) {
      this.pos++;
      return this.node({ kind: "sym", name: constant });
    }
    const fn = FUNCTION_WORDS[w];
    if (fn) {
      this.pos++;
      return this.applyFunction(fn);
    }
    // `sinx`, `sqrtx`: a known function name glued to a one-letter argument.
    for (const [prefix, f] of Object.entries(FUNCTION_WORDS)) {
      if (w.length === prefix.length + 1 && w.startsWith(prefix)) {
        this.pos++;
        const arg = this.node({ kind: "sym", name: letterName(w[w.length - 1]!) });
        return this.node({ kind: "call", fn: f, args: [arg] });
      }
    }
    // Words of three or more letters are prose ("even", "Monday"): comparing them as products of
    // variables would call anagrams equal, so they go to the text comparison instead.
    if (w.length >= 3) throw new MathParseError(`word "${w}"`);
    if (w.length === 2) {
      // `xy` is x·y.
      const first = this.singleLetter();
      const second = this.subscripted(null);
      return this.node({ kind: "op", op: "*", left: first, right: second });
    }
    return this.subscripted(null);
  }

  /** A variable with an optional subscript: `x`, `x_1`, `a_{n}`, `\theta_0`. */
  private subscripted(greek: string | null): Expr {
    let name: string;
    if (greek !== null) name = greek;
    else {
      const t = this.peek()!;
      name = letterName(t.value[0]!);
      this.consumeFirstChar(t);
      if (name.startsWith("#")) return this.node({ kind: "sym", name });
    }
    if (this.isOp("_")) {
      this.pos++;
      const s = this.peek();
      if (!s) throw new MathParseError("missing subscript");
      let sub: string;
      if (this.isOp("{", s)) {
        this.pos++;
        const parts: string[] = [];
        while (this.peek() && !this.isOp("}")) {
          const p = this.peek()!;
          if (p.type === "op" && p.value !== "-" && p.value !== "+")
            throw new MathParseError("complex subscript");
          parts.push(p.value);
          this.pos++;
          if (parts.length > 8) throw new MathParseError("long subscript");
        }
        this.expect("op", "}");
        sub = parts.join("");
      } else if (s.type === "num" || s.type === "word") {
        sub = s.value[0]!;
        this.consumeFirstChar(s);
      } else throw new MathParseError("bad subscript");
      name = `${name}_${sub}`;
    }
    return this.node({ kind: "sym", name });
  }

  /** `\sin x`, `\sin(x)`, `\sin^2 x`, `\sin^{-1} x`, `\log_2 8`, `\log_{10}(x)`. */
  private applyFunction(fn: FunctionName): Expr {
    let base: Expr | null = null;
    let power: Expr | null = null;
    let f = fn;
    if (fn === "log" && this.isOp("_")) {
      this.pos++;
      base = this.argument();
    }
    if (this.isOp("^")) {
      this.pos++;
      power = this.exponent();
      const inverse = INVERSE[fn];
      if (inverse && isMinusOne(power)) {
        f = inverse;
        power = null;
      }
    }
    let arg: Expr;
    if (this.isOp("(")) {
      this.pos++;
      arg = this.group(")");
    } else if (this.isOp("{")) {
      this.pos++;
      arg = this.group("}");
    } else {
      // `\sin 2x` is sin(2x); `\sin x \cos x` is (sin x)(cos x): the argument is the implicit product
      // up to the next function or operator.
      this.enter();
      arg = this.power();
      for (;;) {
        const t = this.peek();
        if (!t || !this.startsPrimary(t) || this.isFunctionToken(t)) break;
        arg = this.node({ kind: "op", op: "*", left: arg, right: this.power() });
      }
      this.leave();
    }
    let e: Expr = this.node({ kind: "call", fn: f, args: [arg] });
    if (base) {
      // log_b(x) = ln x / ln b
      const lnx: Expr = this.node({ kind: "call", fn: "ln", args: [arg] });
      const lnb: Expr = this.node({ kind: "call", fn: "ln", args: [base] });
      e = this.node({ kind: "op", op: "/", left: lnx, right: lnb });
    }
    if (power) e = this.node({ kind: "op", op: "^", left: e, right: power });
    return e;
  }

  private isFunctionToken(t: Token): boolean {
    return (t.type === "cmd" || t.type === "word") && t.value in FUNCTION_WORDS;
  }
}

function isMinusOne(e: Expr): boolean {
  return e.kind === "neg" && e.arg.kind === "num" && Number(e.arg.text) === 1;
}

/** `e` is Euler's number and `i` the imaginary unit, as in answers; other letters are variables. */
function letterName(letter: string): string {
  if (letter === "e") return "#e";
  if (letter === "i") return "#i";
  return letter;
}

/**
 * Parses one scalar expression (no top-level commas, relations or set braces — those are handled by
 * the answer-structure layer). Throws {@link MathParseError} on anything it does not understand.
 */
export function parseExpression(input: string, limits: ParseLimits = {}): Expr {
  const maxNodes = limits.maxNodes ?? 400;
  const tokens = tokenize(input, maxNodes * 4);
  return new Parser(tokens, limits).parseAll();
}

/**
 * The readings of an expression containing `±`/`∓`: all `±` in one expression share one sign (and `∓`
 * takes the opposite), so `a \pm b \mp c` has exactly two readings, as in `x = 1 \pm \sqrt{2}`.
 * Expressions without `±` come back as a one-element list.
 */
export function expandPlusMinus(e: Expr): Expr[] {
  if (!containsPlusMinus(e)) return [e];
  return [withSign(e, 1), withSign(e, -1)];
}

function containsPlusMinus(e: Expr): boolean {
  switch (e.kind) {
    case "pm":
      return true;
    case "neg":
      return containsPlusMinus(e.arg);
    case "op":
      return containsPlusMinus(e.left) || containsPlusMinus(e.right);
    case "call":
      return e.args.some(containsPlusMinus);
    default:
      return false;
  }
}

function withSign(e: Expr, s: 1 | -1): Expr {
  switch (e.kind) {
    case "pm": {
      const right = withSign(e.right, s);
      const plus = e.sign * s === 1;
      if (e.left === null) return plus ? right : { kind: "neg", arg: right };
      return { kind: "op", op: plus ? "+" : "-", left: withSign(e.left, s), right };
    }
    case "neg":
      return { kind: "neg", arg: withSign(e.arg, s) };
    case "op":
      return { ...e, left: withSign(e.left, s), right: withSign(e.right, s) };
    case "call":
      return { ...e, args: e.args.map((a) => withSign(a, s)) };
    default:
      return e;
  }
}

/** A canonical, fully parenthesised rendering of the tree (for exact comparisons and debugging). */
export function showExpr(e: Expr): string {
  switch (e.kind) {
    case "num":
      return e.text;
    case "sym":
      return e.name;
    case "neg":
      return `(-${showExpr(e.arg)})`;
    case "op":
      return `(${showExpr(e.left)}${e.op}${showExpr(e.right)})`;
    case "pm":
      return `(${e.left ? showExpr(e.left) : ""}${e.sign === 1 ? "±" : "∓"}${showExpr(e.right)})`;
    case "call":
      return `${e.fn}(${e.args.map(showExpr).join(",")})`;
  }
}

/** The free variables of an expression (constants such as `#pi` excluded), sorted. */
export function freeVariables(e: Expr): string[] {
  const out = new Set<string>();
  const walk = (x: Expr): void => {
    switch (x.kind) {
      case "sym":
        if (!x.name.startsWith("#")) out.add(x.name);
        return;
      case "neg":
        walk(x.arg);
        return;
      case "op":
        walk(x.left);
        walk(x.right);
        return;
      case "pm":
        if (x.left) walk(x.left);
        walk(x.right);
        return;
      case "call":
        for (const a of x.args) walk(a);
        return;
      default:
        return;
    }
  };
  walk(e);
  return [...out].sort();
}

/** Whether the expression mentions infinity (compared by form, never numerically). */
export function mentionsInfinity(e: Expr): boolean {
  switch (e.kind) {
    case "sym":
      return e.name === "#inf";
    case "neg":
      return mentionsInfinity(e.arg);
    case "op":
      return mentionsInfinity(e.left) || mentionsInfinity(e.right);
    case "pm":
      return (e.left !== null && mentionsInfinity(e.left)) || mentionsInfinity(e.right);
    case "call":
      return e.args.some(mentionsInfinity);
    default:
      return false;
  }
}
