import { dictionary } from './vocabulary.js';

/**
 * Numbers and bounds as requirement texts write them, in English and Chinese: "three", "twenty-five",
 * "no more than", "三", "十二", "不得多于", and the measure words between a Chinese numeral and its
 * noun. Shared so the requirements analyser and any engine that rereads rule sentences agree.
 * Everything here is a table walk over tokens or characters: linear, no backtracking.
 */

const EN_UNITS: Record<string, number> = dictionary({
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  dozen: 12,
  single: 1,
});
const EN_TENS: Record<string, number> = dictionary({
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
});
const EN_SCALES: Record<string, number> = dictionary({ hundred: 100, thousand: 1000, million: 1e6 });

/** A number written at `words[i]` ("3", "10,000", "twenty five", "two hundred"): its value and the index after it. */
export function englishNumberAt(words: readonly string[], i: number): { value: number; end: number } | null {
  const w = words[i];
  if (w === undefined) return null;
  const digits = w.replaceAll(',', '');
  if (/^\d+(\.\d+)?$/.test(digits)) {
    let value = Number(digits);
    let end = i + 1;
    const scale = EN_SCALES[words[end] ?? ''];
    if (scale !== undefined) {
      value *= scale;
      end++;
    }
    return Number.isFinite(value) ? { value, end } : null;
  }
  let total = 0;
  let current = 0;
  let j = i;
  let seen = false;
  while (j < words.length && j - i < 8) {
    const x = words[j]!;
    const unit = EN_UNITS[x];
    const ten = EN_TENS[x];
    const scale = EN_SCALES[x];
    if (unit !== undefined) current += unit;
    else if (ten !== undefined) current += ten;
    else if (scale !== undefined && seen) {
      current = Math.max(1, current) * scale;
      if (scale >= 1000) {
        total += current;
        current = 0;
      }
    } else if (
      x === 'and' &&
      seen &&
      (EN_UNITS[words[j + 1] ?? ''] !== undefined || EN_TENS[words[j + 1] ?? ''] !== undefined)
    ) {
      // "two hundred and fifty"
    } else break;
    seen = true;
    j++;
  }
  return seen ? { value: total + current, end: j } : null;
}

/** A bound phrase as words ending right before the number, and whether it needs a negation before it. */
export interface BoundPhrase {
  words: readonly string[];
  bound: 'max' | 'min';
  /** "more than 3" is a bound only when negated: "may not hold more than 3". */
  negated: boolean;
}

const phrase = (text: string, bound: 'max' | 'min', negated = false): BoundPhrase => ({
  words: text.split(' '),
  bound,
  negated,
});

/** Longest first, so "no more than" wins over "more than". */
export const EN_BOUND_PHRASES: readonly BoundPhrase[] = [
  phrase('no more than', 'max'),
  phrase('not more than', 'max'),
  phrase('no longer than', 'max'),
  phrase('not longer than', 'max'),
  phrase('no greater than', 'max'),
  phrase('not greater than', 'max'),
  phrase('no higher than', 'max'),
  phrase('a maximum of', 'max'),
  phrase('the maximum is', 'max'),
  phrase('maximum of', 'max'),
  phrase('max of', 'max'),
  phrase('limited to', 'max'),
  phrase('capped at', 'max'),
  phrase('up to', 'max'),
  phrase('at most', 'max'),
  phrase('or fewer', 'max'),
  phrase('maximum', 'max'),
  phrase('max', 'max'),
  phrase('only', 'max'),
  phrase('more than', 'max', true),
  phrase('longer than', 'max', true),
  phrase('greater than', 'max', true),
  phrase('higher than', 'max', true),
  phrase('exceed', 'max', true),
  phrase('exceeds', 'max', true),
  phrase('over', 'max', true),
  phrase('above', 'max', true),
  phrase('no fewer than', 'min'),
  phrase('not fewer than', 'min'),
  phrase('no less than', 'min'),
  phrase('not less than', 'min'),
  phrase('a minimum of', 'min'),
  phrase('minimum of', 'min'),
  phrase('min of', 'min'),
  phrase('at least', 'min'),
  phrase('minimum', 'min'),
  phrase('min', 'min'),
  phrase('fewer than', 'min', true),
  phrase('less than', 'min', true),
  phrase('below', 'min', true),
  phrase('under', 'min', true),
];

export const EN_NEGATIONS: ReadonlySet<string> = new Set([
  'not',
  'never',
  'cannot',
  "can't",
  "mustn't",
  "mayn't",
  "won't",
  "shouldn't",
  'no',
  'nobody',
]);

/** Nouns after a number that measure a value ("8 hours", "25 days"), not records to count. */
export const EN_MEASURE_UNITS: ReadonlySet<string> = new Set([
  'second',
  'minute',
  'hour',
  'day',
  'night',
  'week',
  'month',
  'year',
  'euro',
  'dollar',
  'pound',
  'yuan',
  'percent',
  'kg',
  'kilogram',
  'gram',
  'km',
  'kilometre',
  'kilometer',
  'meter',
  'metre',
  'character',
  'point',
  'mb',
  'gb',
  'time',
]);

/** Words after a bound that frame time, not an owner: "per term", "at a time". */
export const EN_TIME_FRAMES: ReadonlySet<string> = new Set([
  'second',
  'minute',
  'hour',
  'day',
  'night',
  'week',
  'month',
  'year',
  'term',
  'semester',
  'quarter',
  'session',
  'period',
  'time',
  'once',
  'visit',
]);

// Chinese numerals: digits, units and the two scales requirement texts use.
const ZH_DIGITS: Record<string, number> = dictionary({
  零: 0,
  〇: 0,
  一: 1,
  壹: 1,
  二: 2,
  两: 2,
  贰: 2,
  三: 3,
  叁: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
});
const ZH_SMALL_UNITS: Record<string, number> = dictionary({ 十: 10, 拾: 10, 百: 100, 千: 1000 });
const ZH_BIG_UNITS: Record<string, number> = dictionary({ 万: 10_000, 亿: 100_000_000 });

/** A number at `s[i]` ("3", "5000", "十二", "二十五", "一万", "3万"): its value and the index after it. */
export function chineseNumberAt(s: string, i: number): { value: number; end: number } | null {
  let j = i;
  let digits = '';
  while (j < s.length && /[0-9.]/.test(s[j]!) && digits.length < 15) digits += s[j++];
  if (digits.length > 0 && /^\d+(\.\d+)?$/.test(digits)) {
    let value = Number(digits);
    const big = ZH_BIG_UNITS[s[j] ?? ''];
    if (big !== undefined) {
      value *= big;
      j++;
    }
    return { value, end: j };
  }
  let total = 0;
  let section = 0;
  let digit = -1;
  j = i;
  while (j < s.length && j - i < 12) {
    const c = s[j]!;
    const d = ZH_DIGITS[c];
    const small = ZH_SMALL_UNITS[c];
    const big = ZH_BIG_UNITS[c];
    if (d !== undefined) digit = d;
    else if (small !== undefined) {
      // "十二": a leading 十 means one ten.
      section += (digit < 0 ? 1 : digit) * small;
      digit = -1;
    } else if (big !== undefined && (digit >= 0 || section > 0)) {
      total += (section + Math.max(0, digit)) * big;
      section = 0;
      digit = -1;
    } else break;
    j++;
  }
  if (j === i) return null;
  return { value: total + section + Math.max(0, digit), end: j };
}

/** Chinese bound markers, longest first; `negated`: only after 不/不能/不得 earlier in the clause. */
export const ZH_BOUND_MARKERS: ReadonlyArray<{ text: string; bound: 'max' | 'min'; negated?: boolean }> = [
  { text: '不能超过', bound: 'max' },
  { text: '不得超过', bound: 'max' },
  { text: '不可超过', bound: 'max' },
  { text: '不应超过', bound: 'max' },
  { text: '不能多于', bound: 'max' },
  { text: '不得多于', bound: 'max' },
  { text: '不能高于', bound: 'max' },
  { text: '不得高于', bound: 'max' },
  { text: '不能大于', bound: 'max' },
  { text: '不得大于', bound: 'max' },
  { text: '不能少于', bound: 'min' },
  { text: '不得少于', bound: 'min' },
  { text: '不能低于', bound: 'min' },
  { text: '不得低于', bound: 'min' },
  { text: '不能小于', bound: 'min' },
  { text: '不得小于', bound: 'min' },
  { text: '最多可以', bound: 'max' },
  { text: '最多只能', bound: 'max' },
  { text: '上限为', bound: 'max' },
  { text: '上限是', bound: 'max' },
  { text: '下限为', bound: 'min' },
  { text: '不超过', bound: 'max' },
  { text: '不多于', bound: 'max' },
  { text: '不高于', bound: 'max' },
  { text: '不大于', bound: 'max' },
  { text: '不少于', bound: 'min' },
  { text: '不低于', bound: 'min' },
  { text: '不小于', bound: 'min' },
  { text: '最多', bound: 'max' },
  { text: '至多', bound: 'max' },
  { text: '最高', bound: 'max' },
  { text: '最长', bound: 'max' },
  { text: '只能', bound: 'max' },
  { text: '至少', bound: 'min' },
  { text: '最少', bound: 'min' },
  { text: '最低', bound: 'min' },
  { text: '超过', bound: 'max', negated: true },
  { text: '多于', bound: 'max', negated: true },
  { text: '少于', bound: 'min', negated: true },
  { text: '低于', bound: 'min', negated: true },
];

export const ZH_NEGATIONS = ['不', '禁止', '无法', '不得', '不可'] as const;

/** Measure words between a numeral and its noun: "三本书", "两辆车", "二十名参与者". */
export const ZH_MEASURE_WORDS: ReadonlySet<string> = new Set(
  '本个件张位名条项份间台辆门次把只套部篇首家所座栋场节堂期届批笔单'.split(''),
);

/** Units after a numeral that measure a value ("5000元", "七天"), not records to count. */
export const ZH_VALUE_UNITS: ReadonlySet<string> = new Set([
  '元',
  '块',
  '天',
  '日',
  '晚',
  '夜',
  '小时',
  '分钟',
  '秒',
  '周',
  '月',
  '年',
  '岁',
  '公斤',
  '千克',
  '克',
  '米',
  '公里',
  '分',
  '%',
  '％',
]);

/** Words after 每 that frame time, not an owner: 每年, 每学期. */
export const ZH_TIME_FRAMES: ReadonlySet<string> = new Set([
  '年',
  '月',
  '周',
  '天',
  '日',
  '次',
  '小时',
  '学期',
  '季度',
  '星期',
  '晚',
]);
