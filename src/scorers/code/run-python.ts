/**
 * Runs model-written Python against tests in a subprocess, for HumanEval/MBPP-style verification.
 *
 * What isolation this gives (best effort — NOT a security boundary):
 * - A fresh temporary working directory per run, removed afterwards.
 * - A minimal environment: no inherited variables (API keys, tokens), `HOME` set to the temp dir.
 * - A wall-clock timeout that kills the whole process tree: the child is spawned detached (its own
 *   process group) and the group gets SIGKILL. Where `unshare` works (root, or unprivileged user
 *   namespaces), the program also runs as PID 1 of a new PID namespace, so when it dies the kernel
 *   kills every process it started — even ones that escaped the group with `setsid`.
 * - A memory limit: RLIMIT_AS (address space) set in the Python harness before the program runs, so
 *   large allocations raise MemoryError; RLIMIT_FSIZE caps file writes; no core dumps.
 * - No network: `unshare --net` (an empty network namespace — not even loopback is up) where
 *   available, plus a Python-level block of `socket.socket`, `create_connection` and `getaddrinfo`
 *   that catches casual use but not code that reaches `_socket` or spawns `curl`; without `unshare`
 *   only that Python-level block applies. {@link pythonSandbox} reports which applies.
 * - Output capture is capped (per stream); the rest is drained and dropped.
 * - A run passes only if the harness reports success through a private pipe with a per-run nonce, so
 *   a program that calls `exit(0)` or `os._exit(0)` before the tests cannot pass.
 *
 * What it does NOT do: no filesystem isolation (the program can read and write whatever the user
 * running deliberate can — run evaluations as an unprivileged user or in a container), no CPU-time
 * or process-count quota beyond the timeout, no seccomp/syscall filtering. See docs/code-execution.md.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AbortedError, ConfigError } from "../../core/errors.js";

/** What to run. */
export interface RunPythonOptions {
  /** The program: HumanEval `prompt + completion`, or an MBPP solution. */
  code: string;
  /** Test code run after the program in the same namespace (HumanEval `test`, MBPP asserts). */
  tests: string;
  /** When set, `check(<entryPoint>)` is called after the tests (the HumanEval convention). */
  entryPoint?: string;
  /** Wall-clock limit in milliseconds, interpreter start-up included. */
  timeoutMs: number;
  /** Address-space limit in MiB for the Python process (interpreter included; ≥ 64). */
  memoryMb: number;
  /** Bytes of stdout and of stderr kept (default 65536 each). */
  maxOutputBytes?: number;
  /** Largest file the program may write, in MiB (default 16). */
  maxFileMb?: number;
  /** Python executable (default `python3`). */
  python?: string;
  /**
   * Use `unshare` namespaces when this machine allows them (default true). Turn off where `unshare`
   * misbehaves; the group kill, limits and Python-level network block still apply.
   */
  useNamespaces?: boolean;
  /** Aborts the run (the process tree is killed and an AbortedError thrown). */
  signal?: AbortSignal;
}

/**
 * Outcome of a run: `passed` (tests ran and succeeded), `failed` (an assertion or exception in the
 * program or its tests, or a premature exit), `timeout` (killed at the time limit), `error` (the
 * program could not be run properly: syntax error, MemoryError, killed by a signal, interpreter
 * missing).
 */
export type RunStatus = "passed" | "failed" | "timeout" | "error";

/** Result of {@link runPython}. */
export interface RunResult {
  status: RunStatus;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Exit code of the process, null when it was killed by a signal. */
  exitCode: number | null;
  /** Signal that ended the process, if any. */
  signal: string | null;
  /** Whether stdout or stderr was cut at `maxOutputBytes`. */
  truncated: boolean;
  /** Process id of the spawned process (for checking that nothing is left behind). */
  pid: number | undefined;
}

/** Which isolation mechanisms are in effect on this machine. */
export interface SandboxInfo {
  /** Runs in an empty network namespace (`unshare --net`). */
  networkNamespace: boolean;
  /** Runs as PID 1 of its own PID namespace, so the whole tree dies with it. */
  pidNamespace: boolean;
  /** The command prefix used, e.g. `["unshare", "--net", "--pid", "--fork", "--kill-child"]`. */
  prefix: readonly string[];
}

// Harness exit codes (distinct from 1, which Python and unshare use for their own failures).
const EXIT_FAILED = 10;
const EXIT_PREMATURE = 11;
const EXIT_COMPILE = 12;
const EXIT_MEMORY = 13;

/**
 * The Python side. Reads the nonce from stdin, applies limits, blocks sockets, compiles program and
 * tests (compile errors are `error`, not `failed`), runs them in one namespace (`__name__` is not
 * `"__main__"`, so `if __name__ == "__main__":` blocks do not run, as in the HumanEval harness), and
 * writes the nonce to fd 3 only after everything passed.
 */
const HARNESS = `
import os, sys, resource, traceback

_nonce = sys.stdin.readline().strip()
sys.stdin = open(os.devnull)
_report = os.fdopen(3, "w")

def _done(code):
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)

def _limit(kind, value):
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        pass

_mem, _fsize, _entry = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with open("program.py", encoding="utf-8") as f:
    _src = f.read()
with open("tests.py", encoding="utf-8") as f:
    _tests = f.read()
try:
    _code = compile(_src, "program.py", "exec")
    _tcode = compile(_tests + ("\\ncheck(" + _entry + ")\\n" if _entry else ""), "tests.py", "exec")
except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError):
    traceback.print_exc()
    _done(${EXIT_COMPILE})

import socket as _socket_module
def _no_network(*args, **kwargs):
    raise OSError("network access is disabled in this sandbox")
class _NoSocket(_socket_module.socket):
    def __init__(self, *args, **kwargs):
        _no_network()
_socket_module.socket = _NoSocket
_socket_module.SocketType = _NoSocket
_socket_module.create_connection = _no_network
_socket_module.getaddrinfo = _no_network
_socket_module.gethostbyname = _no_network

_limit(resource.RLIMIT_CORE, 0)
_limit(resource.RLIMIT_FSIZE, _fsize)
_limit(resource.RLIMIT_AS, _mem)

_ns = {"__name__": "solution", "__builtins__": __builtins__}
try:
    exec(_code, _ns)
    exec(_tcode, _ns)
except MemoryError:
    traceback.print_exc()
    _done(${EXIT_MEMORY})
except SystemExit as e:
    print("the program exited before the tests finished (exit code %r)" % (e.code,), file=sys.stderr)
    _done(${EXIT_PREMATURE})
except BaseException:
    try:
        traceback.print_exc()
    except BaseException:
        pass
    _done(${EXIT_FAILED})
_report.write(_nonce)
_report.flush()
_done(0)
`;

let sandboxProbe: Promise<SandboxInfo> | null = null;

function runsOk(cmd: string, args: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, args, { stdio: "ignore" });
      child.on("error", () => resolve(false));
      child.on("exit", (code) => resolve(code === 0));
    } catch {
      resolve(false);
    }
  });
}

/**
 * Detects (once per process) whether `unshare` can give runs their own network and PID namespaces.
 * Root can create them directly; other users need unprivileged user namespaces (`--map-root-user`).
 */
export function pythonSandbox(): Promise<SandboxInfo> {
  sandboxProbe ??= (async (): Promise<SandboxInfo> => {
    const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
    const user = asRoot ? [] : ["--map-root-user"];
    const full = ["unshare", ...user, "--net", "--pid", "--fork", "--kill-child"];
    if (await runsOk(full[0]!, [...full.slice(1), "true"])) {
      return { networkNamespace: true, pidNamespace: true, prefix: full };
    }
    const net = ["unshare", ...user, "--net"];
    if (await runsOk(net[0]!, [...net.slice(1), "true"])) {
      return { networkNamespace: true, pidNamespace: false, prefix: net };
    }
    return { networkNamespace: false, pidNamespace: false, prefix: [] };
  })();
  return sandboxProbe;
}

/** Keeps the first `limit` bytes of a stream and drains the rest, so the child never blocks on a full pipe. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    if (this.size >= this.limit) {
      this.truncated = true;
      return;
    }
    const room = this.limit - this.size;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) this.truncated = true;
    this.chunks.push(part);
    this.size += part.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    // Negative pid: the whole process group the detached child leads.
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

function validate(options: RunPythonOptions): void {
  if (typeof options.code !== "string" || typeof options.tests !== "string") {
    throw new ConfigError("runPython needs `code` and `tests` strings");
  }
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new ConfigError(`timeoutMs must be a positive number, got ${options.timeoutMs}`);
  }
  if (!Number.isFinite(options.memoryMb) || options.memoryMb < 64) {
    throw new ConfigError(
      `memoryMb must be at least 64 (the interpreter itself needs ~30 MB), got ${options.memoryMb}`,
    );
  }
  if (options.entryPoint !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.entryPoint)) {
    throw new ConfigError(
      `entryPoint must be a Python identifier, got ${JSON.stringify(options.entryPoint)}`,
    );
  }
}

/**
 * Runs `code` then `tests` (then `check(entryPoint)`) in a sandboxed `python3` subprocess. Never
 * throws for anything the program does; throws {@link ConfigError} on bad options and
 * {@link AbortedError} when `signal` fires.
 */
export async function runPython(options: RunPythonOptions): Promise<RunResult> {
  validate(options);
  if (options.signal?.aborted) throw new AbortedError();
  const sandbox: SandboxInfo =
    options.useNamespaces === false
      ? { networkNamespace: false, pidNamespace: false, prefix: [] }
      : await pythonSandbox();
  const dir = await mkdtemp(join(tmpdir(), "deliberate-py-"));
  try {
    await Promise.all([
      writeFile(join(dir, "harness.py"), HARNESS),
      writeFile(join(dir, "program.py"), options.code),
      writeFile(join(dir, "tests.py"), options.tests),
    ]);
    return await execute(dir, sandbox, options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function execute(dir: string, sandbox: SandboxInfo, options: RunPythonOptions): Promise<RunResult> {
  const python = options.python ?? "python3";
  const maxOutput = options.maxOutputBytes ?? 65536;
  const memBytes = Math.floor(options.memoryMb * 1024 * 1024);
  const fileBytes = Math.floor((options.maxFileMb ?? 16) * 1024 * 1024);
  const nonce = randomBytes(16).toString("hex");
  const pythonArgs = [
    python,
    "-I",
    "-X",
    "utf8",
    "harness.py",
    String(memBytes),
    String(fileBytes),
    options.entryPoint ?? "",
  ];
  const argv = [...sandbox.prefix, ...pythonArgs];

  return new Promise<RunResult>((resolve, reject) => {
    const started = performance.now();
    const stdout = new CappedBuffer(maxOutput);
    const stderr = new CappedBuffer(maxOutput);
    let report = "";
    let timedOut = false;
    let aborted = false;
    let spawnError: Error | null = null;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let settled = false;

    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: dir,
      detached: true,
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" },
    });
    const reportPipe = child.stdio[3] as NodeJS.ReadableStream | null;

    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      killGroup(child);
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    // Last resort if a grandchild outside the group keeps our pipes open after the program ended.
    let drainTimer: NodeJS.Timeout | undefined;

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (drainTimer) clearTimeout(drainTimer);
      options.signal?.removeEventListener("abort", onAbort);
      if (aborted) {
        reject(new AbortedError("The Python run was aborted."));
        return;
      }
      const durationMs = performance.now() - started;
      let status: RunStatus;
      if (spawnError) status = "error";
      else if (timedOut) status = "timeout";
      else if (exitCode === 0 && report === nonce) status = "passed";
      else if (exitCode === 0 || exitCode === EXIT_FAILED || exitCode === EXIT_PREMATURE) status = "failed";
      else status = "error";
      let err = stderr.text();
      if (spawnError) err += `${err ? "\n" : ""}could not start ${argv[0]}: ${spawnError.message}`;
      if (timedOut) err += `${err ? "\n" : ""}killed after the ${options.timeoutMs} ms time limit`;
      resolve({
        status,
        stdout: stdout.text(),
        stderr: err,
        durationMs,
        exitCode,
        signal: exitSignal,
        truncated: stdout.truncated || stderr.truncated,
        pid: child.pid,
      });
    };

    child.stdout?.on("data", (c: Buffer) => stdout.push(c));
    child.stderr?.on("data", (c: Buffer) => stderr.push(c));
    reportPipe?.on("data", (c: Buffer) => {
      if (report.length < 256) report += c.toString("utf8");
    });
    child.stdin?.on("error", () => {});
    child.stdin?.end(`${nonce}\n`);
    child.on("error", (e) => {
      spawnError = e;
      finish();
    });
    child.on("exit", (code, sig) => {
      exitCode = code;
      exitSignal = sig;
      // Reap anything the program left running in its group.
      killGroup(child);
      drainTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        (reportPipe as { destroy?: () => void } | null)?.destroy?.();
        finish();
      }, 2000);
    });
    child.on("close", finish);
  });
}
