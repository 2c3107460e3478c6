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

  const withoutScripts = stripScripts(text);
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
  text = stripLinks(text)
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

/**
 * `text.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')` in one pass. The regex retries every `[` up
 * to the next `]` and `)`: 100 KB of `[` took seconds. A start that fails makes every start
 * before the same `]` fail too, so the scan resumes after it.
 */
export function stripLinks(text: string): string {
  let out = '';
  let copied = 0;
  let i = text.indexOf('[');
  while (i !== -1) {
    const close = text.indexOf(']', i + 1);
    if (close === -1) break;
    if (text[close + 1] !== '(') {
      i = text.indexOf('[', close + 1);
      continue;
    }
    const end = text.indexOf(')', close + 2);
    // No `)` after this `]`: no later link can close either.
    if (end === -1) break;
    const start = i > copied && text[i - 1] === '!' ? i - 1 : i;
    out += text.slice(copied, start) + text.slice(i + 1, close);
    copied = end + 1;
    i = text.indexOf('[', copied);
  }
  return out + text.slice(copied);
}

const ASCII_UPPER = /[A-Z]+/g;

/**
 * `text.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')` without rescanning: the
 * regex looked for a closing tag from every unclosed opening one, quadratic on many `<script>`.
 * The first closing tag at or after a position is remembered per tag name.
 */
export function stripScripts(text: string): string {
  // ASCII-only lowering keeps indexes aligned with `text`.
  const lower = text.replace(ASCII_UPPER, (m) => m.toLowerCase());
  const closeAfter = new Map<string, { from: number; at: number; end: number }>();
  const findClose = (tag: string, from: number): { at: number; end: number } => {
    const known = closeAfter.get(tag);
    if (known !== undefined && known.from <= from && (known.at === -1 || known.at >= from)) return known;
    let at = lower.indexOf(`</${tag}`, from);
    let end = -1;
    while (at !== -1) {
      let j = at + tag.length + 2;
      while (j < lower.length && /\s/.test(lower[j]!)) j++;
      if (lower[j] === '>') {
        end = j + 1;
        break;
      }
      at = lower.indexOf(`</${tag}`, at + 1);
    }
    const found = { from, at, end };
    closeAfter.set(tag, found);
    return found;
  };
  let out = '';
  let copied = 0;
  let i = lower.indexOf('<');
  while (i !== -1) {
    const tag = lower.startsWith('script', i + 1)
      ? 'script'
      : lower.startsWith('style', i + 1)
        ? 'style'
        : null;
    const after = tag === null ? -1 : i + 1 + tag.length;
    if (tag !== null && !/\w/.test(lower[after] ?? '')) {
      const gt = lower.indexOf('>', after);
      // No `>` left: no later tag can open either.
      if (gt === -1) break;
      const close = findClose(tag, gt + 1);
      if (close.at !== -1) {
        out += `${text.slice(copied, i)} `;
        copied = close.end;
        i = lower.indexOf('<', copied);
        continue;
      }
    }
    i = lower.indexOf('<', i + 1);
  }
  return out + text.slice(copied);
}
