// Tokens, estimated as about 4 characters each: OpenAI's rule of thumb for English, the same one
// the gateway's usage estimates use (providers/usage.ts; a test keeps the two equal). Kept local
// and simple because the memory budget only needs to be roughly right and identical on every
// replica, not tokenizer-exact for every model.

export const CHARS_PER_TOKEN = 4;

export function tokensForChars(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

export function estimateTokens(text: string): number {
  return tokensForChars(text.length);
}
