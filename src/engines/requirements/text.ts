import { BadInputError } from '../../contracts/errors.js';
import type { Lang } from './facts.js';

/** Larger inputs are refused: a requirement document, not a book. Analysis stays well under 2 s. */
export const MAX_TEXT_BYTES = 200 * 1024;
/** Longer "sentences" (no punctuation at all) are reported, not analysed. */
export const MAX_SENTENCE_CHARS = 600;

export interface Chunk {
  text: string;
  lang: Lang;
}

export interface Prepared {
  chunks: Chunk[];
  /** Open questions about the input as a whole. */
  questions: string[];
}

export function checkText(text: string, what = 'requirement text'): void {
  if (text.trim().length === 0) throw new BadInputError(`${what} is empty`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_TEXT_BYTES) {
    throw new BadInputError(`${what} is ${bytes} bytes; the limit is ${MAX_TEXT_BYTES} bytes`, {
      bytes,
      limit: MAX_TEXT_BYTES,
    });
  }
}

const HAN = /\p{Script=Han}/gu;
const LATIN = /\p{Script=Latin}/gu;

export function languageOf(text: string): Lang {
  const han = text.match(HAN)?.length ?? 0;
  const latin = text.match(LATIN)?.length ?? 0;
  // One Han character carries about a word: weigh it like four Latin letters.
  return han > 0 && han * 4 >= latin ? 'zh' : 'en';
}

/** Cleans markup, emoji and control characters, and cuts the text into single-language chunks. */
export function prepare(raw: string): Prepared {
  const questions: string[] = [];
  let text = raw.normalize('NFKC');

  const withoutScripts = text.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ');
  const withoutTags = withoutScripts.replace(/<\/?[A-Za-z][^<>]*>/g, ' ');
  if (withoutTags !== text) {
    questions.push('[markup] HTML/XML markup was ignored; only its text was analysed');
    text = withoutTags;
  }
  const fences = text.match(/```/g)?.length ?? 0;
  if (fences > 0) {
    questions.push('[markup] code blocks were ignored');
    text = text.replace(/```[\s\S]*?(```|$)/g, '\n');
  }
  text = text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.*?)\1/g, '$2')
    .replace(/^[ \t]*(#{1,6}|>|[-*+•]|\d+[.)])[ \t]+/gm, '');

  const pictographs = text.match(/\p{Extended_Pictographic}/gu)?.length ?? 0;
  if (pictographs > 0) questions.push(`[non_text] ${pictographs} emoji or pictographs were ignored`);
  text = text
    .replace(/\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u200d|\ufe0f/gu, ' ')
    .replace(/[\p{Cc}\p{Cf}]/gu, (c) => (c === '\n' || c === '\t' ? c : ' '));

  const chunks: Chunk[] = [];
  for (const line of text.split(/\n+/)) {
    // Chinese sentence ends and semicolons end a chunk in either language.
    // Sentence ends cut chunks, so a mixed-script line is analysed sentence by sentence.
    for (const part of line.split(/(?<=[。！？；;!?])|(?<=[.])\s+/u)) {
      const t = part.trim();
      if (!/[\p{L}\p{N}]/u.test(t)) continue;
      chunks.push({ text: t, lang: languageOf(t) });
    }
  }
  if (chunks.length === 0) questions.push('[no_text] the input has no words to analyse');
  return { chunks, questions };
}

const PROMPT_LIKE = [
  /\b(ignore|disregard|forget)\b.{0,30}\b(previous|prior|above|earlier|all)\b.{0,20}\b(instructions?|prompts?|rules?)\b/i,
  /\b(system prompt|jailbreak|you are now|act as (an? )?(ai|assistant|chatbot|language model)|as an ai)\b/i,
  /(忽略|无视|忘记).{0,10}(之前|以上|前面|所有).{0,6}(指令|指示|提示|规则)/,
  /(系统提示词|你现在是|扮演.{0,6}(助手|AI))/,
];

/** Why a sentence is not analysed, as an open question, or null when it is analysed. */
export function screenSentence(sentence: string): string | null {
  if (sentence.length > MAX_SENTENCE_CHARS) {
    return `[too_long] a sentence of ${sentence.length} characters was not analysed: "${sentence.slice(0, 80)}…"`;
  }
  if (PROMPT_LIKE.some((re) => re.test(sentence))) {
    return `[prompt_like] "${sentence}" reads as an instruction to an assistant, not a requirement; not applied`;
  }
  return null;
}
