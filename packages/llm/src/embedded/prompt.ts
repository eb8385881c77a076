import {
  type ChatHistoryItem,
  type ChatWrapper,
  type LlamaModel,
  LlamaText,
  resolveChatWrapper,
  type Token,
} from "node-llama-cpp";
import { invalidParam } from "../openai/fields.js";
import type { ParsedMessage } from "../openai/parse.js";

/** A prompt ready to evaluate, with what ends the model's turn besides its end-of-generation tokens. */
export type Prompt = { tokens: Token[]; stopTokens: ReadonlySet<Token>; stopTexts: string[] };

/**
 * Formats chat messages with the model's own chat template (read from the GGUF by node-llama-cpp) and tokenizes
 * the result: `tokens.length` is the exact `prompt_tokens`.
 *
 * @example
 * const prompter = createChatPrompter(model);
 * prompter([{ role: "user", content: "Hi" }]).tokens.length;
 */
export function createChatPrompter(model: LlamaModel): (messages: readonly ParsedMessage[]) => Prompt {
  const wrapper: ChatWrapper = resolveChatWrapper(model);
  return (messages) => {
    const chatHistory: ChatHistoryItem[] = messages.map((m): ChatHistoryItem => {
      if (m.role === "system") return { type: "system", text: m.content };
      if (m.role === "user") return { type: "user", text: m.content };
      return { type: "model", response: [m.content] };
    });
    chatHistory.push({ type: "model", response: [] }); // the turn to generate
    const state = wrapper.generateContextState({ chatHistory });
    const stopTokens = new Set<Token>();
    const stopTexts: string[] = [];
    for (const trigger of state.stopGenerationTriggers) {
      const text = LlamaText(trigger);
      if (text.values.every((v) => typeof v === "string")) {
        stopTexts.push(text.values.join(""));
        continue;
      }
      const tokens = text.tokenize(model.tokenizer);
      if (tokens.length === 1) stopTokens.add(tokens[0] as Token);
    }
    return { tokens: state.contextText.tokenize(model.tokenizer), stopTokens, stopTexts };
  };
}

/**
 * Tokenizes a text completion prompt. Special-token text (e.g. `<|im_start|>`) is parsed as the special token,
 * as llama.cpp's server does, so hand-formatted chat prompts work; a BOS token is prepended when the model asks
 * for one. Token-id prompts are checked against the vocabulary size (llama.cpp aborts on unknown ids).
 *
 * @example
 * tokenizeCompletionPrompt(model, "Once upon a time", vocabularySize).length; // prompt_tokens
 */
export function tokenizeCompletionPrompt(
  model: LlamaModel,
  prompt: string | readonly number[],
  vocabularySize: number,
): Token[] {
  if (typeof prompt !== "string") {
    const bad = prompt.find((t) => t >= vocabularySize);
    if (bad !== undefined) {
      throw invalidParam("prompt", `token id ${bad} is outside the vocabulary (size ${vocabularySize})`);
    }
    return [...prompt] as Token[];
  }
  const tokens = model.tokenize(prompt, true);
  const bos = model.tokens.bos;
  if (bos !== null && (model.tokens.shouldPrependBosToken || tokens.length === 0) && tokens[0] !== bos) {
    tokens.unshift(bos);
  }
  if (tokens.length === 0) throw invalidParam("prompt", "the prompt is empty and the model has no BOS token");
  return tokens;
}
