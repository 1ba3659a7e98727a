import { Template } from "@huggingface/jinja";
import { ConfigError } from "../../core/errors.js";
import type { ChatMessage } from "../../core/prompt.js";

/**
 * Renders chat messages with the model's own Jinja chat template (the `tokenizer.chat_template` of
 * the GGUF), the way Hugging Face tokenizers do, ending with the generation prompt so that the model
 * writes the assistant's turn. An assistant-side prefix is appended by the caller, after this text.
 */
export class ChatTemplate {
  private readonly template: Template;

  constructor(
    source: string,
    private readonly specialTokens: { bos_token: string; eos_token: string },
  ) {
    try {
      this.template = new Template(source);
    } catch (cause) {
      throw new ConfigError("the model's chat template could not be parsed", {
        hint: "pass a raw text prompt instead of chat messages",
        cause,
      });
    }
  }

  render(messages: ChatMessage[]): string {
    return this.template.render({ messages, add_generation_prompt: true, ...this.specialTokens });
  }
}
