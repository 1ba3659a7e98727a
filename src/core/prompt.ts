/** A chat message, in the OpenAI shape. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * What the model is asked: raw text for a base model, or chat messages that the backend renders with
 * the model's chat template.
 */
export type Prompt = string | { messages: ChatMessage[] };

/** One problem handed to a strategy. `gold` is only used by evaluation, never by strategies. */
export interface Problem {
  /** Stable id, used by evaluation runs and traces. */
  id?: string;
  prompt: Prompt;
  /** Reference answer, when known (evaluation only). */
  gold?: string;
  /** Free-form fields from the dataset (difficulty level, tests for code problems, …). */
  meta?: Record<string, unknown>;
}

/** The prompt as plain text, for logs and for scorers that need the question text. */
export function promptText(prompt: Prompt): string {
  if (typeof prompt === "string") return prompt;
  return prompt.messages.map((m) => m.content).join("\n");
}
