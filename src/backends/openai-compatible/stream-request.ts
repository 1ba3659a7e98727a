/**
 * A completion request sent as a stream: text passed on as it arrives, and the events assembled into
 * the answer a plain request would have had. An abort mid-stream ends the choices with what was
 * generated so far, so that those tokens are counted.
 */
import { AbortedError } from "../../core/errors.js";
import { requestStream } from "./http.js";
import { StreamAssembly, type WireResponse } from "./wire.js";

/** What a streamed request was sent with. */
export interface StreamSettings {
  headers: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** Receives each choice's text as it arrives, by the choice's index in this request. */
  onText?: (index: number, text: string) => void;
}

/** Streams a request of `n` choices: its answer, and the text pieces each choice arrived in. */
export async function streamAnswer(
  url: string,
  body: unknown,
  n: number,
  settings: StreamSettings,
): Promise<{ response: WireResponse; pieces: number[] }> {
  const assembly = new StreamAssembly(settings.onText);
  try {
    await requestStream(url, body, settings.headers, settings.timeoutMs, settings.signal, (e) =>
      assembly.add(e),
    );
  } catch (error) {
    // Aborted mid-stream: the choices end with what was generated so far.
    if (!(error instanceof AbortedError) || !assembly.started) throw error;
  }
  return assembly.response(n);
}
