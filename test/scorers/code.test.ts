import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AbortedError, ConfigError } from "../../src/core/errors.js";
import {
  CodeTestVerifier,
  extractCodeBlock,
  pythonSandbox,
  runPython,
} from "../../src/scorers/code/index.js";

const base = { timeoutMs: 5000, memoryMb: 512 };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(marker)) out.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("runPython", () => {
  it("passes correct code", async () => {
    const r = await runPython({
      ...base,
      code: "def add(a, b):\n    return a + b\n",
      tests: "assert add(1, 2) == 3\n",
    });
    assert.equal(r.status, "passed", r.stderr);
    assert.equal(r.exitCode, 0);
    assert.ok(r.durationMs > 0);
  });

  it("fails wrong code, with the traceback in stderr", async () => {
    const r = await runPython({
      ...base,
      code: "def add(a, b):\n    return a - b\n",
      tests: "assert add(1, 2) == 3\n",
    });
    assert.equal(r.status, "failed");
    assert.match(r.stderr, /AssertionError/);
  });

  it("fails on a runtime exception", async () => {
    const r = await runPython({ ...base, code: "def f():\n    return 1 / 0\n", tests: "assert f() == 1\n" });
    assert.equal(r.status, "failed");
    assert.match(r.stderr, /ZeroDivisionError/);
  });

  it("reports a syntax error as error", async () => {
    const r = await runPython({
      ...base,
      code: "def add(a, b)\n    return a + b\n",
      tests: "assert add(1, 2) == 3\n",
    });
    assert.equal(r.status, "error");
    assert.match(r.stderr, /SyntaxError/);
  });

  it("kills an infinite loop at the time limit and leaves no process behind", async () => {
    const start = performance.now();
    const r = await runPython({ code: "while True:\n    pass\n", tests: "", timeoutMs: 1000, memoryMb: 256 });
    const elapsed = performance.now() - start;
    assert.equal(r.status, "timeout");
    assert.ok(r.durationMs >= 1000 && elapsed < 3000, `took ${elapsed.toFixed(0)} ms`);
    assert.ok(r.pid !== undefined);
    assert.equal(isAlive(r.pid!), false, "the process is gone");
    // Grandchildren re-parented to init may linger a moment as zombies before they are reaped.
    const deadline = performance.now() + 3000;
    while (groupExists(r.pid!) && performance.now() < deadline) await sleep(50);
    assert.equal(groupExists(r.pid!), false, "its process group is gone");
  });

  it("kills the program's children too", async () => {
    const sandbox = await pythonSandbox();
    const marker = `${Math.floor(Math.random() * 1e6)}.${Date.now() % 1000}`;
    const code = [
      "import subprocess, time",
      `subprocess.Popen(["sleep", "3${marker}"])`,
      `subprocess.Popen(["sleep", "4${marker}"], start_new_session=True)`,
      "time.sleep(60)",
    ].join("\n");
    const r = await runPython({ code, tests: "", timeoutMs: 1500, memoryMb: 256 });
    assert.equal(r.status, "timeout");
    await sleep(200);
    assert.deepEqual(processesWith(`sleep 3${marker}`), [], "a child in the process group is killed");
    const escaped = processesWith(`sleep 4${marker}`);
    if (sandbox.pidNamespace) assert.deepEqual(escaped, [], "a setsid child dies with the PID namespace");
    for (const pid of escaped) process.kill(pid, "SIGKILL");
  });

  it("stops a memory hog", async () => {
    const big = await runPython({
      ...base,
      code: "x = bytearray(4 * 1024 ** 3)\n",
      tests: "",
      memoryMb: 256,
    });
    assert.equal(big.status, "error");
    assert.match(big.stderr, /MemoryError/);
    const growing = await runPython({
      ...base,
      code: "chunks = []\nwhile True:\n    chunks.append(bytearray(10 ** 7))\n",
      tests: "",
      memoryMb: 256,
    });
    assert.equal(growing.status, "error");
  });

  it("blocks network access", async () => {
    const sandbox = await pythonSandbox();
    let connections = 0;
    const server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const viaSocket = await runPython({
        ...base,
        code: `import socket\ndef ping():\n    s = socket.create_connection(("127.0.0.1", ${port}), timeout=2)\n    s.close()\n    return True\n`,
        tests: "assert ping()\n",
      });
      assert.equal(viaSocket.status, "failed");
      if (sandbox.networkNamespace) {
        // Bypassing the Python-level block still finds no network in the empty namespace.
        const viaRaw = await runPython({
          ...base,
          code: `import _socket\ndef ping():\n    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)\n    s.settimeout(2)\n    s.connect(("127.0.0.1", ${port}))\n    return True\n`,
          tests: "assert ping()\n",
        });
        assert.equal(viaRaw.status, "failed");
      }
      assert.equal(connections, 0, "the server never saw a connection");
    } finally {
      server.close();
    }
  });

  it("does not pass a program that exits before the tests", async () => {
    for (const code of ["import os\nos._exit(0)\n", "import sys\nsys.exit(0)\n", "exit()\n"]) {
      const r = await runPython({ ...base, code, tests: "assert False\n" });
      assert.equal(r.status, "failed", code);
    }
  });

  it("caps captured output", async () => {
    const r = await runPython({
      ...base,
      code: "print('x' * 1000000)\n",
      tests: "assert True\n",
      maxOutputBytes: 1000,
    });
    assert.equal(r.status, "passed");
    assert.equal(r.truncated, true);
    assert.equal(r.stdout.length, 1000);
  });

  it("does not run `if __name__ == '__main__'` blocks and removes its temp dir", async () => {
    const before = readdirSync(tmpdir()).filter((d) => d.startsWith("deliberate-py-")).length;
    const r = await runPython({
      ...base,
      code: "def f():\n    return 1\nif __name__ == '__main__':\n    raise SystemExit(3)\n",
      tests: "assert f() == 1\n",
    });
    assert.equal(r.status, "passed", r.stderr);
    const after = readdirSync(tmpdir()).filter((d) => d.startsWith("deliberate-py-")).length;
    assert.equal(after, before);
  });

  it("can be aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(
      runPython({
        code: "while True:\n    pass\n",
        tests: "",
        timeoutMs: 10000,
        memoryMb: 256,
        signal: controller.signal,
      }),
      AbortedError,
    );
  });

  it("rejects bad options", async () => {
    await assert.rejects(runPython({ ...base, code: "", tests: "", timeoutMs: 0 }), ConfigError);
    await assert.rejects(runPython({ ...base, code: "", tests: "", memoryMb: 1 }), ConfigError);
    await assert.rejects(
      runPython({ ...base, code: "", tests: "", entryPoint: "f); import os; (" }),
      ConfigError,
    );
  });

  it("works without namespaces (group kill, limits and the Python-level network block)", async () => {
    const plain = { ...base, useNamespaces: false };
    assert.equal((await runPython({ ...plain, code: "x = 1\n", tests: "assert x == 1\n" })).status, "passed");
    assert.equal((await runPython({ ...plain, code: "x = 1\n", tests: "assert x == 2\n" })).status, "failed");
    const loop = await runPython({ ...plain, code: "while True:\n    pass\n", tests: "", timeoutMs: 800 });
    assert.equal(loop.status, "timeout");
    assert.equal(isAlive(loop.pid!), false);
    const hog = await runPython({
      ...plain,
      code: "x = bytearray(4 * 1024 ** 3)\n",
      tests: "",
      memoryMb: 256,
    });
    assert.equal(hog.status, "error");
    const net = await runPython({
      ...plain,
      code: "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)\n",
      tests: "",
    });
    assert.equal(net.status, "failed");
    assert.match(net.stderr, /network access is disabled/);
  });

  it("reports a missing interpreter as error", async () => {
    const sandbox = await pythonSandbox();
    const r = await runPython({ ...base, code: "", tests: "", python: "/nonexistent/python3" });
    assert.equal(r.status, "error");
    if (sandbox.prefix.length === 0) assert.match(r.stderr, /could not start/);
  });
});

// The datasets shipped with the package (data/), so the checks run wherever the repository is.
const HUMANEVAL = join(import.meta.dirname, "..", "..", "data", "humaneval", "HumanEval.jsonl");
const MBPP = join(import.meta.dirname, "..", "..", "data", "mbpp", "sanitized-mbpp.jsonl");

describe("CodeTestVerifier", () => {
  it("passes HumanEval canonical solutions and fails a wrong one", async () => {
    const problems = readFileSync(HUMANEVAL, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .slice(0, 4)
      .map(
        (l) =>
          JSON.parse(l) as {
            task_id: string;
            prompt: string;
            canonical_solution: string;
            test: string;
            entry_point: string;
          },
      );
    const verifier = new CodeTestVerifier({ timeoutMs: 10000, memoryMb: 512 });
    const verdicts = await Promise.all(
      problems.map((p) =>
        verifier.verify({ code: p.prompt, tests: p.test, entryPoint: p.entry_point }, p.canonical_solution),
      ),
    );
    verdicts.forEach((v, i) => {
      assert.equal(v.correct, true, `${problems[i]!.task_id}: ${v.run.stderr}`);
    });
    const p = problems[0]!;
    const wrong = await verifier.verify(
      { code: p.prompt, tests: p.test, entryPoint: p.entry_point },
      "    return None\n",
    );
    assert.equal(wrong.correct, false);
    assert.equal(wrong.status, "failed");
  });

  it("passes an MBPP reference solution", async () => {
    const first = JSON.parse(readFileSync(MBPP, "utf8").split("\n")[0]!) as {
      code: string;
      test_list: string[];
      test_imports: string[];
    };
    const verifier = new CodeTestVerifier({ timeoutMs: 10000, memoryMb: 512 });
    const v = await verifier.verify({ tests: first.test_list, imports: first.test_imports }, first.code);
    assert.equal(v.correct, true, v.run.stderr);
  });

  it("takes code out of Markdown fences", async () => {
    assert.equal(extractCodeBlock("Here:\n```python\nx = 1\n```\ndone"), "x = 1\n");
    assert.equal(extractCodeBlock("```\ny = 2\n```\n```py\nz = 3\n```"), "z = 3\n");
    assert.equal(extractCodeBlock("plain = 1"), "plain = 1");
    const verifier = new CodeTestVerifier({ timeoutMs: 5000, memoryMb: 256, concurrency: 2 });
    const v = await verifier.verify(
      { tests: ["assert double(2) == 4"] },
      "Sure!\n```python\ndef double(x):\n    return 2 * x\n```\nThis doubles x.",
    );
    assert.equal(v.correct, true, v.run.stderr);
    assert.throws(() => new CodeTestVerifier({ concurrency: 0 }), ConfigError);
  });
});
