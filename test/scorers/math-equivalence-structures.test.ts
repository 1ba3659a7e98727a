/**
 * mathEqual on structured answers: intervals, inequalities, sets, tuples, lists, ±, matrices,
 * equations, bases and choices.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mathEqual } from "../../src/scorers/math/index.js";
import { check } from "./math-equivalence-check.js";

describe("mathEqual: structures", () => {
  it("intervals keep their brackets", () =>
    check([
      ["[0,1)", "[0,1]", false],
      ["[0,1)", "[0, 1)", true],
      ["(0,1]", "(0,1)", false],
      ["(-\\infty, 3)", "(-\\infty,3)", true],
      ["(-\\infty, 3)", "(-\\infty, 3]", false],
      ["(0,9) \\cup (9,36)", "(9,36) \\cup (0,9)", true],
      ["(0,9) \\cup (9,36)", "(0,36)", false],
      ["(-\\infty,0)\\cup(0,\\infty)", "(-\\infty,0)\\cup[0,\\infty)", false],
    ]));

  it("reads one-variable inequalities as intervals", () =>
    check([
      ["(5,\\infty)", "x>5", true],
      ["[2,\\infty)", "x \\ge 2", true],
      ["(2,\\infty)", "x\\ge2", false],
      ["(-\\infty, 1)", "x < 1", true],
      ["(-\\infty, 1]", "1 \\geq x", true],
      ["[1,3)", "1 \\le x < 3", true],
      ["[1,3)", "3 > x \\ge 1", true],
      ["[1,2]", "x \\in [1,2]", true],
    ]));

  it("sets ignore order and duplicates; tuples keep order", () =>
    check([
      ["\\{1,2\\}", "\\{2,1\\}", true],
      ["\\{1,2\\}", "\\{1,2,3\\}", false],
      ["\\{1,2,2\\}", "\\{1,2\\}", true],
      ["\\{1\\}", "1", true],
      ["\\emptyset", "\\varnothing", true],
      ["(1,2)", "(2,1)", false],
      ["(1,2)", "(1,2)", true],
      ["(1,2,3)", "(1,3,2)", false],
      ["(1,2,3)", "(1, 2, 3)", true],
      ["(1,2)", "[1,2]", false],
      ["(1, \\frac12)", "(1, 0.5)", true],
    ]));

  it("bare lists are unordered; a gold tuple keeps its order against a list", () => {
    check([
      ["1,2", "2,1", true],
      ["1, 2", "1, 3", false],
      ["1, 2", "1, 2, 3", false],
      ["1,2", "\\{2,1\\}", true],
      ["(1,2)", "1, 2", true],
      ["2 \\text{ and } 3", "2, 3", true],
      ["x = 1, y = 2", "(1, 2)", true],
    ]);
    // The gold's form decides: a gold tuple is ordered, a gold list ("all solutions") is not.
    assert.equal(mathEqual("(1,2)", "2, 1"), false);
    assert.equal(mathEqual("2, 1", "(1,2)"), true);
    assert.equal(mathEqual("2, 1", "(1,2)", { conventions: { unorderedLists: false } }), false);
  });

  it("expands ± into both readings", () =>
    check([
      ["3 \\pm 2\\sqrt{2}", "3+2\\sqrt{2}, 3-2\\sqrt{2}", true],
      ["3 \\pm 2\\sqrt{2}", "3-2\\sqrt{2},3+2\\sqrt{2}", true],
      ["3 \\pm 2\\sqrt{2}", "3+2\\sqrt{2}", false],
      ["\\{1\\pm\\sqrt{5},-2\\}", "-2, 1+\\sqrt5, 1-\\sqrt5", true],
      ["\\pm 2", "2, -2", true],
      ["1 \\pm 2", "1 \\mp 2", true],
    ]));

  it("compares matrices and vectors element-wise", () =>
    check([
      ["\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", true],
      [
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
        "\\begin{pmatrix} 1 & 2 \\\\ 4 & 3 \\end{pmatrix}",
        false,
      ],
      ["\\begin{pmatrix} 16/49 \\\\ 48/49 \\\\ 24/49 \\end{pmatrix}", "(16/49, 48/49, 24/49)", true],
      ["\\begin{pmatrix} -1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} -1 \\\\ 3 \\end{pmatrix}", false],
    ]));

  it("reduces `variable = value` and compares equations up to a factor", () =>
    check([
      ["5", "x=5", true],
      ["5", "x = 6", false],
      ["x = 5", "y = 5", true],
      ["y = 2x+3", "2x+3", true],
      ["y=2x+3", "y = 3 + 2x", true],
      ["y=2x+3", "y=3x+2", false],
      ["2x+3=y", "y = 2x+3", true],
      ["5x - 7y + 11z + 4 = 0", "-10x + 14y - 22z - 8 = 0", true],
      ["5x - 7y + 11z + 4 = 0", "5x - 7y + 11z - 4 = 0", false],
      ["x+y=1", "2x+2y=2", true],
      ["x^2+y^2=1", "y^2 = 1 - x^2", true],
      ["f(x) = 2x", "2x", true],
    ]));

  it("numbers in other bases", () =>
    check([
      ["4210_{5}", "4210_5", true],
      ["4210_5", "4210", true],
      ["4210_5", "4201_5", false],
      ["10_2", "2_{10}", true],
      ["204_5", "204", true],
    ]));

  it("choices and words compare by spelling", () =>
    check([
      ["\\text{(B)}", "B", true],
      ["(B)", "B", true],
      ["B", "C", false],
      ["\\text{Evelyn}", "Evelyn", true],
      ["\\text{even}", "odd", false],
      ["\\text{east}", "East", true],
      ["Monday", "Mondya", false],
      ["E", "e", false],
      ["\\text{no solution}", "No solution", true],
    ]));
});
