/**
 * The evaluation progress line on stderr: done/total, rate and ETA. On a TTY the line is redrawn in
 * place (at most 5 times a second); otherwise (logs, CI) a line is printed about every 10%.
 */

/** Where the progress goes: a writable stream with an optional `isTTY`. */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Counts a run's finished problems and reports them. */
export class ProgressLine {
  private done = 0;
  private samples = 0;
  private tokens = 0;
  private readonly started = performance.now();
  private lastDraw = 0;
  private lastDecile: number;
  private drawn = false;

  constructor(
    private readonly total: number,
    private readonly sink: ProgressSink,
    private readonly label = "eval",
    /** Problems already complete before this invocation (a resumed run). */
    private readonly already = 0,
  ) {
    this.lastDecile = Math.floor(((already / Math.max(1, already + total)) * 100) / 10);
  }

  /** Records one finished problem with the samples and generated tokens it took. */
  tick(samples: number, completionTokens: number): void {
    this.done++;
    this.samples += samples;
    this.tokens += completionTokens;
    const now = performance.now();
    if (this.sink.isTTY) {
      if (now - this.lastDraw >= 200 || this.done === this.total) {
        this.lastDraw = now;
        this.sink.write(`\r\x1b[K${this.line()}`);
        this.drawn = true;
      }
      return;
    }
    const all = this.already + this.total;
    const decile = Math.floor((((this.already + this.done) / Math.max(1, all)) * 100) / 10);
    if (decile > this.lastDecile || this.done === this.total) {
      this.lastDecile = decile;
      this.sink.write(`${this.line()}\n`);
    }
  }

  /** Ends the redrawn line (TTY) so later output starts on a fresh line. */
  finish(): void {
    if (this.drawn) this.sink.write("\n");
    this.drawn = false;
  }

  /** Seconds since the progress started. */
  elapsedSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** The current line, e.g. `eval 120/800 (15%) · 2.4 problems/s · 19.2 samples/s · ETA 4m43s`. */
  line(): string {
    const all = this.already + this.total;
    const done = this.already + this.done;
    const secs = Math.max(1e-9, this.elapsedSeconds());
    const rate = this.done / secs;
    const pct = all === 0 ? 100 : Math.floor((done / all) * 100);
    const eta = rate > 0 ? formatDuration((this.total - this.done) / rate) : "?";
    return (
      `${this.label} ${done}/${all} (${pct}%) · ${rate.toFixed(2)} problems/s · ` +
      `${(this.samples / secs).toFixed(1)} samples/s · ${(this.tokens / secs).toFixed(0)} tok/s · ETA ${eta}`
    );
  }
}

/** `75` → `1m15s`, `3725` → `1h02m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
