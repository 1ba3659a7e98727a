"""Error injection for the policy's training solutions.

Why: a policy that is merely under-trained fails *systematically* (the same problems every time), so
sampling more does not help and coverage@k stays low. The library needs the opposite — a policy whose
single samples are often wrong while some of many samples are right — so the policy is trained on
solutions where each arithmetic step's result is wrong with probability `rate`, the later steps
continuing correctly from the wrong value (as a careless solver would). The model then learns a
calibrated distribution: the right digit is the most likely one (greedy decoding is accurate in
distribution) but sampling at temperature 0.7 still makes errors at a controlled per-step rate.

Wrong results differ from the right one by ±1 or ±10 (one digit slips, the plausible kind of
mistake), never going below 0. The task itself (src/tasks/arith) stays the single definition of
what is correct; this only perturbs training targets.
"""

import random
import re


def noisy_solution(prompt: str, rate: float, rng: random.Random) -> str:
    """A solution of `Q:<question>\\n` whose steps each slip with probability `rate`."""
    nums = re.findall(r"[+-]?\d+", prompt.strip()[2:])
    value = int(nums[0])
    lines = []
    for token in nums[1:]:
        op, operand = token[0], int(token[1:])
        result = value + operand if op == "+" else value - operand
        if rng.random() < rate:
            result = max(0, result + rng.choice((-10, -1, 1, 10)))
            if result == (value + operand if op == "+" else value - operand):
                result += 1  # max() clamped a slip back onto the right value
        lines.append(f"{value}{op}{operand}={result}")
        value = result
    lines.append(f"A:{value}")
    return "".join(f"{line}\n" for line in lines)
