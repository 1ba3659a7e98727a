import { Worker } from "node:worker_threads";
import { ModelLoadError } from "../../core/errors.js";

/** Bytes of a model download so far. */
export interface DownloadProgress {
  downloadedSize: number;
  totalSize: number;
}

/** Options of {@link downloadModel}. */
export interface DownloadOptions {
  /** Where downloaded files are kept (a file already there is used without a request). */
  directory: string;
  /**
   * Seconds without any progress after which the download fails: no answer from the host, or a
   * transfer that stalled. Default: `$DELIBERATE_DOWNLOAD_TIMEOUT`, else 30.
   */
  timeoutSeconds?: number;
  /** `"auto"`: a progress line on stderr when it is a terminal; `false`: silent; or a callback. */
  onProgress?: "auto" | false | ((progress: DownloadProgress) => void);
  signal?: AbortSignal;
}

/** The stall timeout in effect: the option, else `$DELIBERATE_DOWNLOAD_TIMEOUT`, else 30 s. */
function stallSeconds(option: number | undefined): number {
  const value = option ?? Number(process.env.DELIBERATE_DOWNLOAD_TIMEOUT ?? 30);
  if (!(value > 0)) {
    throw new ModelLoadError(`the download timeout must be a positive number of seconds, got ${value}`);
  }
  return value;
}

/** A progress line on stderr, rewritten in place, at most every 200 ms. */
function terminalProgress(uri: string): (progress: DownloadProgress) => void {
  let last = 0;
  return ({ downloadedSize, totalSize }) => {
    const now = Date.now();
    if (now - last < 200 && downloadedSize < totalSize) return;
    last = now;
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    const share = totalSize > 0 ? ` (${Math.floor((100 * downloadedSize) / totalSize)}%)` : "";
    process.stderr.write(`\rdownloading ${uri}: ${mb(downloadedSize)}/${mb(totalSize)} MB${share}`);
    if (totalSize > 0 && downloadedSize >= totalSize) process.stderr.write("\n");
  };
}

/**
 * The download runs in a worker thread: node-llama-cpp's downloader retries on its own and does not
 * take a cancel signal while it resolves the URI, so a stalled download is ended by terminating the
 * worker, which closes its sockets and timers with it. Plain JavaScript (CommonJS), so it runs the
 * same from the sources and from the built package.
 */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
import(workerData.library)
  .then(({ resolveModelFile }) =>
    resolveModelFile(workerData.uri, {
      directory: workerData.directory,
      cli: false,
      onProgress: (status) => parentPort.postMessage({ progress: status }),
    }),
  )
  .then(
    (file) => parentPort.postMessage({ file }),
    (error) => parentPort.postMessage({ error: String((error && error.message) || error) }),
  );
`;

type WorkerMessage = { progress: DownloadProgress } | { file: string } | { error: string };

/**
 * Resolves an `hf:` URI or an https URL to a local GGUF file, downloading it once into
 * `directory`. Never hangs: when the host does not answer, or the transfer makes no progress for
 * the stall timeout, the download is stopped and a {@link ModelLoadError} says so in one line.
 */
export function downloadModel(uri: string, options: DownloadOptions): Promise<string> {
  const seconds = stallSeconds(options.timeoutSeconds);
  const progress =
    typeof options.onProgress === "function"
      ? options.onProgress
      : options.onProgress !== false && process.stderr.isTTY
        ? terminalProgress(uri)
        : undefined;
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { library: import.meta.resolve("node-llama-cpp"), uri, directory: options.directory },
  });
  return new Promise<string>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: unknown, file?: string) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      void worker.terminate();
      if (error === undefined) resolve(file!);
      else reject(error);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        finish(
          new ModelLoadError(`could not download ${uri}: no progress for ${seconds} s`, {
            hint: "check your network (or HF_ENDPOINT), raise DELIBERATE_DOWNLOAD_TIMEOUT, or pass a local .gguf path",
          }),
        );
      }, seconds * 1000);
    };
    const onAbort = () => finish(options.signal?.reason ?? new Error("aborted"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: WorkerMessage) => {
      if ("progress" in message) {
        arm();
        progress?.(message.progress);
      } else if ("file" in message) {
        finish(undefined, message.file);
      } else {
        finish(
          new ModelLoadError(`could not download ${uri}: ${message.error.split("\n")[0]}`, {
            hint: "check the URI and your network, or pass a local .gguf path",
          }),
        );
      }
    });
    worker.on("error", (cause: Error) =>
      finish(new ModelLoadError(`could not download ${uri}: ${cause.message}`, { cause })),
    );
    arm();
  });
}
