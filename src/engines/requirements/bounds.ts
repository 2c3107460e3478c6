import {
  chineseNumberAt,
  EN_BOUND_PHRASES,
  EN_MEASURE_UNITS,
  EN_NEGATIONS,
  EN_TIME_FRAMES,
  englishNumberAt,
  ZH_BOUND_MARKERS,
  ZH_MEASURE_WORDS,
  ZH_NEGATIONS,
  ZH_TIME_FRAMES,
  ZH_VALUE_UNITS,
} from '../shared/quantities.js';
import type { RuleFact } from './facts.js';

/**
 * Bounds in an English sentence ("may not hold more than 3 books at once", "at least one dish and up to
 * ten dishes", "a priority of at least 1 and at most 5", "cannot be negative") as rule facts. One pass
 * over the tokens per number; each bound looks back a few tokens for its phrase and within its clause
 * for what it bounds, so the work is linear in the sentence.
 */

export interface BoundTok {
  text: string;
  norm: string;
  root: string;
  tags: Set<string>;
  post: string;
}

const isNoun = (t: BoundTok) =>
  t.tags.has('Noun') && !t.tags.has('Pronoun') && !t.tags.has('Determiner') && /\p{L}/u.test(t.text);
const BE = new Set(['be', 'is', 'are', 'been', 'was', 'were']);
const clauseBreak = (t: BoundTok) => /[,;:]/.test(t.post);
const isNeg = (t: BoundTok) => t.tags.has('Negative') || EN_NEGATIONS.has(t.norm);
/** Words that may sit between a number and its noun: "twenty open tickets", "3 more books". */
const isModifier = (t: BoundTok) =>
  (t.tags.has('Adjective') || t.tags.has('Gerund') || t.tags.has('Adverb')) && !isNoun(t);

interface Np {
  label: string;
  head: string;
  start: number;
  end: number;
}

/** The noun run at i (up to three words, last one singular). */
function nounAt(ts: BoundTok[], i: number): Np | null {
  const words: BoundTok[] = [];
  let j = i;
  while (j < ts.length && isNoun(ts[j]!) && words.length < 3) {
    words.push(ts[j]!);
    j++;
    if (clauseBreak(ts[j - 1]!)) break;
  }
  if (words.length === 0) return null;
  const last = words[words.length - 1]!;
  const label = [...words.slice(0, -1).map((w) => w.norm), last.root]
    .join(' ')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .trim();
  return label.length === 0 ? null : { label, head: last.root, start: i, end: j };
}

/** Noun runs of the clause [from, to), left to right. */
function nounsIn(ts: BoundTok[], from: number, to: number): Np[] {
  const out: Np[] = [];
  let j = from;
  while (j < to) {
    const np = isNoun(ts[j]!) ? nounAt(ts, j) : null;
    if (np !== null && np.end <= to) {
      out.push(np);
      j = np.end;
    } else j++;
  }
  return out;
}

/** Start of the clause holding token i: after the last comma/semicolon or "and/but/while" before it. */
function clauseStart(ts: BoundTok[], i: number): number {
  for (let k = i - 1; k >= 0; k--) {
    const t = ts[k]!;
    if (clauseBreak(t)) return k + 1;
    if (t.norm === 'and' || t.norm === 'but' || t.norm === 'while' || t.norm === 'whereas') {
      // "at least 1 and at most 5": "and" joins two bounds of one subject; the clause goes on.
      return k + 1;
    }
  }
  return 0;
}

function boundBefore(
  ts: BoundTok[],
  i: number,
): { bound: 'max' | 'min'; start: number; negated: boolean } | null {
  for (const p of EN_BOUND_PHRASES) {
    const n = p.words.length;
    if (i - n < 0) continue;
    let ok = true;
    for (let k = 0; k < n && ok; k++) ok = ts[i - n + k]!.norm === p.words[k];
    if (!ok) continue;
    const start = i - n;
    if (p.negated) {
      let neg = false;
      for (let k = start - 1; k >= Math.max(0, start - 4) && !clauseBreak(ts[k]!); k--)
        if (isNeg(ts[k]!)) neg = true;
      // "the price must be greater than 0" states the other side: a lower bound.
      if (!neg && BE.has(ts[start - 1]?.norm ?? ''))
        return { bound: p.bound === 'max' ? 'min' : 'max', start, negated: false };
      if (!neg) continue;
    }
    return { bound: p.bound, start, negated: p.negated };
  }
  return null;
}

export interface BoundContext {
  /** The action of the sentence, when one was found. */
  action: string | null;
  /** The actor of the sentence's action: the owner of a count when the clause names none. */
  actor: string | null;
}

/** Rule facts for every bound in the sentence. */
export function englishBounds(ts: BoundTok[], ctx: BoundContext): RuleFact[] {
  const out: RuleFact[] = [];
  const norms = ts.map((t) => t.norm.replace(/-$/, ''));
  // What the previous bound of the sentence bounded: "at least one dish and up to ten dishes".
  let lastSubject: string | null = null;
  let lastField: string | null = null;
  let lastEntity: string | null = null;
  for (let i = 0; i < ts.length; i++) {
    const num = englishNumberAt(norms, i);
    if (num === null) continue;
    const b = boundBefore(ts, i);
    if (b === null) {
      i = num.end - 1;
      continue;
    }
    const from = clauseStart(ts, b.start);
    const left = nounsIn(ts, from, b.start);
    // What is counted: the noun after the number ("3 books", "twenty open tickets").
    let j = num.end;
    while (j < ts.length && j - num.end < 2 && isModifier(ts[j]!) && !clauseBreak(ts[j - 1]!)) j++;
    const counted = clauseBreak(ts[num.end - 1]!) ? null : nounAt(ts, j);
    const type = (kind: 'count' | 'value'): RuleFact['type'] =>
      b.bound === 'max'
        ? kind === 'count'
          ? 'max_count'
          : 'max_value'
        : kind === 'count'
          ? 'min_count'
          : 'min_value';
    const subject = left[0]?.label ?? null;
    if (counted !== null && !EN_MEASURE_UNITS.has(counted.head)) {
      // The owner: "per member", "for each member", else the clause's subject, else the sentence's actor.
      let per: string | null = null;
      let k = counted.end;
      if (norms[k] === 'per' || norms[k] === 'each' || norms[k] === 'every') k++;
      else if (norms[k] === 'for' && (norms[k + 1] === 'each' || norms[k + 1] === 'every')) k += 2;
      else k = -1;
      if (k > 0) {
        while (k < ts.length && ts[k]!.tags.has('Determiner')) k++;
        const p = nounAt(ts, k);
        if (p !== null && !EN_TIME_FRAMES.has(p.head)) per = p.label;
      }
      const owner: string | null =
        per ?? (subject !== counted.label ? subject : null) ?? lastSubject ?? ctx.actor;
      out.push({
        type: type('count'),
        value: num.value,
        entity: counted.label,
        per: owner === counted.label ? null : owner,
        action: ctx.action,
        field: null,
      });
      lastSubject = owner;
      lastField = null;
      lastEntity = counted.label;
    } else {
      // A value: "8 hours", "25 days of leave", "a priority of at least 1", "the price must not exceed 10000".
      let field: string | null = null;
      let entity: string | null = null;
      if (counted !== null && norms[counted.end] === 'of') {
        // "25 days of leave": what is measured follows "of" (whatever compromise tagged it).
        const of = ts[counted.end + 1];
        if (of !== undefined && /^\p{L}+$/u.test(of.root))
          field = nounAt(ts, counted.end + 1)?.label ?? of.root;
        entity = subject;
      } else if (counted !== null && EN_TIME_FRAMES.has(counted.head)) {
        field = 'duration';
        entity = subject;
      }
      if (field === null && left.length > 0) {
        // The noun nearest the bound names the value, unless it is the "product" of "the price of a product".
        let near = left.length - 1;
        if (near > 0 && norms[left[near]!.start - 1] === 'of') near--;
        else if (near > 0 && norms[left[near]!.start - 2] === 'of') near--;
        field = left[near]!.label;
        entity = near > 0 ? left[0]!.label : (left[near + 1]?.label ?? null);
      }
      if (field === null && counted !== null) field = counted.label;
      field ??= lastField;
      entity ??= lastEntity ?? subject;
      if (field === null) continue;
      out.push({ type: type('value'), value: num.value, entity, per: null, action: null, field });
      lastField = field;
      lastEntity = entity;
      lastSubject = subject ?? lastSubject;
    }
    i = num.end - 1;
  }
  // "the quantity cannot be negative", "amounts must be positive": a lower bound of zero.
  for (let i = 1; i < ts.length; i++) {
    const t = ts[i]!;
    const negWord = t.norm === 'negative' && ts.slice(Math.max(0, i - 4), i).some(isNeg);
    const posWord =
      (t.norm === 'positive' || t.norm === 'non-negative') && !ts.slice(Math.max(0, i - 4), i).some(isNeg);
    if (!negWord && !posWord) continue;
    const left = nounsIn(ts, clauseStart(ts, i), i);
    const field = left[left.length - 1]?.label;
    if (field === undefined) continue;
    out.push({ type: 'min_value', value: 0, entity: null, per: null, action: null, field });
  }
  return out;
}

/** A Chinese word with its part of speech (jieba). */
export interface ZhTok {
  w: string;
  tag: string;
}

export interface ChineseBoundTools {
  segment: (s: string) => ZhTok[];
  isNoun: (t: ZhTok) => boolean;
  /** The action a Chinese verb names (`借` -> `borrow`), or null when it names none. */
  actionOf: (verb: string) => string | null;
}

const ZH_CLAUSE = /[,，;；。!！?？:：]/u;
const HAN_WORD = /^\p{Script=Han}/u;
const ZH_DIGIT_START = /[0-9零〇一二两三四五六七八九十百千万壹贰叁拾]/u;

/**
 * The noun run at the start of `s` ("客服人员处理的…" -> 客服人员), or null. After a measure word a noun
 * must follow, so the first word counts whatever jieba tagged it ("两个预订", 预订/v).
 */
function zhNounStart(s: string, tools: ChineseBoundTools, afterMeasure = false): string | null {
  const words: string[] = [];
  for (const t of tools.segment(s)) {
    const first =
      afterMeasure && words.length === 0 && HAN_WORD.test(t.w) && !/^(uj|ul|d|p|c|r|m)$/.test(t.tag);
    // "学生每学期": a word with 每 starts a new phrase.
    if ((!tools.isNoun(t) && !first) || words.length >= 3 || (words.length > 0 && t.w.startsWith('每')))
      break;
    words.push(t.w);
  }
  return words.length === 0 ? null : words.join('');
}

/** The last noun run of `s` ("商品的价格" -> 价格; "每名员工每年的年假" -> 年假), or null. */
function zhNounEnd(s: string, tools: ChineseBoundTools): string | null {
  const ts = tools.segment(s);
  let k = ts.length - 1;
  while (k >= 0 && !tools.isNoun(ts[k]!)) k--;
  if (k < 0) return null;
  const words: string[] = [];
  // jieba cuts some compounds ("年/m 假/n"): a one-character noun takes the character before it.
  while (
    k >= 0 &&
    words.length < 3 &&
    (tools.isNoun(ts[k]!) ||
      (words.length === 1 && words[0]!.length === 1 && ts[k]!.w.length === 1 && HAN_WORD.test(ts[k]!.w)))
  ) {
    words.unshift(ts[k]!.w);
    k--;
  }
  return words.join('');
}

/** The owner a sentence names with 每 ("每位会员", "每个客服人员"), skipping time frames (每年, 每学期). */
function zhEach(s: string, counted: string | null, tools: ChineseBoundTools): string | null {
  let at = s.indexOf('每');
  while (at >= 0) {
    let k = at + 1;
    if (ZH_MEASURE_WORDS.has(s[k] ?? '')) k++;
    const noun = zhNounStart(s.slice(k, k + 12), tools);
    if (
      noun !== null &&
      !ZH_TIME_FRAMES.has(noun) &&
      noun !== counted &&
      !ZH_TIME_FRAMES.has(s[at + 1] ?? '')
    )
      return noun;
    at = s.indexOf('每', at + 1);
  }
  return null;
}

/**
 * Bounds in a Chinese sentence ("每位会员最多借三本书", "不得多于两个预订", "价格不能超过5000元",
 * "优先级至少为1，最多为5") as rule facts. Markers are found by a left-to-right scan of each clause;
 * numerals, measure words and units are read character by character, nouns with jieba.
 */
export function chineseBounds(
  sentence: string,
  tools: ChineseBoundTools,
  fallbackAction: string | null,
): RuleFact[] {
  const out: RuleFact[] = [];
  let lastField: string | null = null;
  let lastEntity: string | null = null;
  let lastCounted: string | null = null;
  let clauseFrom = 0;
  for (let p = 0; p <= sentence.length; p++) {
    if (p < sentence.length && !ZH_CLAUSE.test(sentence[p]!)) {
      const marker = ZH_BOUND_MARKERS.find((m) => sentence.startsWith(m.text, p));
      if (marker === undefined) continue;
      const before = sentence.slice(clauseFrom, p);
      if (marker.negated === true && !ZH_NEGATIONS.some((n) => before.includes(n))) {
        p += marker.text.length - 1;
        continue;
      }
      // Between the marker and the numeral: a verb or two ("最多借", "至少包含", "不能同时租用超过").
      let q = p + marker.text.length;
      const gapStart = q;
      while (
        q < sentence.length &&
        q - gapStart < 6 &&
        !ZH_DIGIT_START.test(sentence[q]!) &&
        !ZH_CLAUSE.test(sentence[q]!)
      )
        q++;
      const num = q < sentence.length ? chineseNumberAt(sentence, q) : null;
      if (num === null || ZH_BOUND_MARKERS.some((m) => sentence.slice(gapStart, q).includes(m.text))) {
        p += marker.text.length - 1;
        continue;
      }
      const gap = sentence.slice(gapStart, q);
      let e = num.end;
      let clauseEnd = e;
      while (clauseEnd < sentence.length && !ZH_CLAUSE.test(sentence[clauseEnd]!)) clauseEnd++;
      const unit =
        [sentence.slice(e, e + 2), sentence.slice(e, e + 1)].find(
          (u) => u.length > 0 && ZH_VALUE_UNITS.has(u),
        ) ?? null;
      const measure = unit === null && ZH_MEASURE_WORDS.has(sentence[e] ?? '') ? sentence[e]! : null;
      if (measure !== null) e++;
      const after = unit === null ? zhNounStart(sentence.slice(e, clauseEnd), tools, measure !== null) : null;
      const bound = marker.bound;
      const verbs = tools.segment(gap).filter((t) => t.tag.startsWith('v'));
      const action = verbs.map((v) => tools.actionOf(v.w)).find((a) => a !== null) ?? fallbackAction;
      if (unit === null && (after !== null || measure !== null)) {
        // A count: what comes after the numeral, else the noun before the marker ("工单不能超过十二张").
        const counted: string | null = after ?? zhNounEnd(before, tools) ?? lastCounted;
        const per =
          zhEach(sentence.slice(0, p), counted, tools) ?? zhNounStart(sentence.slice(0, p), tools) ?? null;
        out.push({
          type: bound === 'max' ? 'max_count' : 'min_count',
          value: num.value,
          entity: counted,
          per: per === counted ? null : per,
          action,
          field: null,
        });
        lastCounted = counted;
      } else {
        // A value: "价格不能超过5000元", "优先级至少为1", "年假不得多于二十五天"; "最多为5" reuses the clause before.
        const field: string | null = zhNounEnd(before.replace(/的$/, ''), tools) ?? lastField;
        if (field === null) {
          p = num.end - 1;
          continue;
        }
        const ofAt = before.lastIndexOf('的');
        const entity: string | null = ofAt > 0 ? zhNounEnd(before.slice(0, ofAt), tools) : lastEntity;
        out.push({
          type: bound === 'max' ? 'max_value' : 'min_value',
          value: num.value,
          entity: entity === field ? null : entity,
          per: null,
          action: null,
          field,
        });
        lastField = field;
        lastEntity = entity;
      }
      p = num.end - 1;
      continue;
    }
    clauseFrom = p + 1;
  }
  return out;
}
