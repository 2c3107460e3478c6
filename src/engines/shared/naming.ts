import { pinyin } from 'pinyin-pro';
import { ZH_EN_WORDS } from './vocabulary.js';

const HAN = /\p{Script=Han}/u;

export function hasHan(s: string): boolean {
  return HAN.test(s);
}

/** ASCII words for a label: English as written, Chinese via the lexicon or pinyin. */
function asciiWords(label: string): string[] {
  const whole = ZH_EN_WORDS[label];
  if (whole !== undefined) return splitCamel(whole);
  if (!hasHan(label)) return label.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  const words: string[] = [];
  // Longest lexicon word first, pinyin for the rest ("会员等级" -> member + dengji).
  let rest = label;
  while (rest.length > 0) {
    let matched = false;
    for (let len = Math.min(rest.length, 5); len >= 2; len--) {
      const en = ZH_EN_WORDS[rest.slice(0, len)];
      if (en !== undefined) {
        words.push(...splitCamel(en));
        rest = rest.slice(len);
        matched = true;
        break;
      }
    }
    if (matched) continue;
    const ch = rest[0] ?? '';
    rest = rest.slice(1);
    if (HAN.test(ch)) {
      const py = pinyin(ch, { toneType: 'none', type: 'array', nonZh: 'removed' })[0] ?? '';
      const last = words.length > 0 ? words[words.length - 1] : undefined;
      // Pinyin syllables of one word join ("tushu"), lexicon words stay separate.
      if (last?.startsWith('\u0000')) words[words.length - 1] = last + py;
      else words.push(`\u0000${py}`);
    } else if (/[A-Za-z0-9]/.test(ch)) {
      words.push(ch);
    }
  }
  return words.map((w) => w.replace('\u0000', '')).filter((w) => w.length > 0);
}

function splitCamel(s: string): string[] {
  return s.split(/(?=[A-Z])/).map((w) => w.toLowerCase());
}

function cap(w: string): string {
  return w.length === 0 ? w : w[0]!.toUpperCase() + w.slice(1).toLowerCase();
}

/** `due date` -> `dueDate`; `借阅日期` -> `borrowDate`; '' when nothing ASCII can be made. */
export function camelName(label: string): string {
  const words = asciiWords(label);
  const joined = words.map((w, i) => (i === 0 ? w.toLowerCase() : cap(w))).join('');
  return ensureLetter(joined);
}

/** `book` -> `Book`; `game mode` -> `GameMode`; `图书` -> `Book`. */
export function pascalName(label: string): string {
  const c = camelName(label);
  return c.length === 0 ? '' : c[0]!.toUpperCase() + c.slice(1);
}

function ensureLetter(s: string): string {
  if (s.length === 0) return s;
  return /^[A-Za-z]/.test(s) ? s : `n${s}`;
}

/** English plural for paths and tables: `Book` -> `books`, `Category` -> `categories`. */
export function pluralize(word: string): string {
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  return `${word}s`;
}

/** `GameMode` -> `game-modes` (URL path segment). */
export function kebabPlural(entityName: string): string {
  const words = entityName.split(/(?=[A-Z])/).map((w) => w.toLowerCase());
  const last = words.pop() ?? '';
  return [...words, pluralize(last)].join('-');
}

/** `GameMode` -> `game_modes` (table name). */
export function snakePlural(entityName: string): string {
  return kebabPlural(entityName).replaceAll('-', '_');
}
