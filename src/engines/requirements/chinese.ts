import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import type { Priority } from '../../contracts/requirements.js';
import { camelName } from '../shared/naming.js';
import { commonFacts } from './common.js';
import { emptyFacts, type FieldMention, type SentenceFacts } from './facts.js';
import {
  dictionary,
  TYPE_WORDS,
  ZH_ACTOR_SUFFIXES,
  ZH_ACTORS,
  ZH_NON_ACTION,
  ZH_SYSTEM_NOUNS,
  ZH_VAGUE_NOUNS,
  ZH_VERB_ACTIONS,
} from './lexicon.js';
import { extractNfrs } from './nfr.js';
import { screenSentence } from './text.js';

let jieba: Jieba | undefined;
/** Loading the dictionary takes ~150 ms: once per process, on first Chinese text. */
function segmenter(): Jieba {
  jieba ??= Jieba.withDict(dict);
  return jieba;
}

interface Tok {
  w: string;
  tag: string;
}

const SEP = new Set(['、', ',', '和', '及', '以及', '与', '或', '或者', '跟']);
const FIELD_TRIGGERS = new Set(['有', '包含', '包括', '具有', '拥有', '记录', '含有']);
const ENUM_TRIGGERS = new Set(['分为', '可以是', '包括', '有', '包含', '为', '是']);
const ENUM_FIELDS = /(状态|类型|优先级|等级|级别|角色|类别|阶段)$/;
const NEGATION = new Set(['不', '不能', '不可以', '禁止', '无法', '不得', '不会', '不可']);
/** Verbs that carry their object: "下单" is "place an order". */
const IMPLICIT_OBJECT: Record<string, string> = dictionary({
  下单: '订单',
  付款: '订单',
  结账: '订单',
  挂号: '预约',
  选课: '课程',
});
const MANY = /^(多个|多本|多条|多位|多名|若干|一些|许多|多种|多项|多张|多门|多)$/;
const MEASURE = /^(本|个|件|次|门|张|位|条|项|份|名|间|台|辆)/;
const PUNCT = /^[\p{P}\p{S}\s]+$/u;

const isNoun = (t: Tok) => /^(n|nr|ns|nt|nz|nrt|ng|vn|eng|nrfg|t)$/.test(t.tag) && !PUNCT.test(t.w);
const isVerbTag = (t: Tok) => t.tag.startsWith('v') && t.tag !== 'vn';

export function chinesePriority(sentence: string): Priority | null {
  if (/不会|不需要|暂不|无需|不做|不在范围/.test(sentence)) return 'wont';
  if (/必须|务必|需要|须|一定要/.test(sentence)) return 'must';
  if (/应该|应当|最好/.test(sentence)) return 'should';
  if (/可以|可选|也可/.test(sentence)) return 'could';
  return null;
}

function actorOf(label: string): string | null | undefined {
  if (ZH_SYSTEM_NOUNS.has(label)) return null;
  if (ZH_ACTORS.has(label)) return label;
  if (ZH_ACTOR_SUFFIXES.some((s) => label.endsWith(s)) && label.length >= 2) return label;
  return undefined;
}

function isEntityLabel(label: string): boolean {
  return (
    label.length > 0 &&
    camelName(label).length > 0 &&
    !ZH_VAGUE_NOUNS.has(label) &&
    !ZH_SYSTEM_NOUNS.has(label) &&
    !/^\d/.test(label)
  );
}

/** Consecutive nouns from i ("图书 管理员" -> "图书管理员"). */
function nounRun(ts: Tok[], i: number): { label: string; end: number } | null {
  let j = i;
  const words: string[] = [];
  while (j < ts.length && isNoun(ts[j]!) && words.length < 3) {
    words.push(ts[j]!.w);
    j++;
  }
  return words.length === 0 ? null : { label: words.join(''), end: j };
}

/** The noun run that ends at k. */
function nounRunBefore(ts: Tok[], k: number): string {
  const words: string[] = [];
  let j = k;
  while (j >= 0 && isNoun(ts[j]!) && words.length < 3) {
    words.unshift(ts[j]!.w);
    j--;
  }
  return words.join('');
}

export interface ChineseContext {
  lastActor: string | null;
  lastObject: string | null;
}

export function extractChinese(sentence: string, ctx: ChineseContext): SentenceFacts {
  const facts = emptyFacts(sentence, 'zh');
  const screened = screenSentence(sentence);
  if (screened !== null) {
    facts.questions.push(screened);
    facts.skipped = true;
    return facts;
  }
  const ts: Tok[] = segmenter()
    .tag(sentence, true)
    // The HMM glues unknown runs ("借三" in "借三本书"): cut those again from the dictionary alone.
    .flatMap((t) => (t.tag === 'x' && t.word.length > 1 ? segmenter().tag(t.word, false) : [t]))
    .map((t) => ({ w: t.word, tag: t.tag }))
    .filter((t) => t.w.trim().length > 0);
  facts.priority = chinesePriority(sentence);
  const benefit = /(?:以便|从而|这样)(.+?)[。.!?]*$/.exec(sentence);
  facts.benefit = benefit?.[1] ?? null;

  const consumed = new Set<number>();
  fields(ts, facts, consumed);
  // Statements first: "预约的状态分为待确认、已确认…" names values, and its verbs are not actions.
  statements(ts, sentence, facts, consumed);
  actions(ts, facts, ctx, consumed);
  rules(ts, facts);
  const { nfrs, mentions } = extractNfrs(sentence);
  facts.nfrs.push(...nfrs);
  facts.nfrMentions.push(...mentions);
  commonFacts(sentence, facts);
  return facts;
}

function actions(ts: Tok[], facts: SentenceFacts, ctx: ChineseContext, consumed: Set<number>): void {
  interface F {
    index: number;
    verb: string;
    action: string;
    actor: string | null;
    object: string | null;
    negated: boolean;
  }
  const found: F[] = [];
  let clauseActor: string | null = ctx.lastActor;
  let depth = 0;
  const takenAsObject = new Set<number>();
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (t.w === '(') depth++;
    if (t.w === ')') depth = Math.max(0, depth - 1);
    if (depth > 0 || t.w === ',' || t.w === ';' || consumed.has(i) || takenAsObject.has(i)) continue;
    const mapped = ZH_VERB_ACTIONS[t.w];
    if (mapped === undefined && (!isVerbTag(t) || ZH_NON_ACTION.has(t.w))) continue;
    if (mapped === undefined && (NEGATION.has(t.w) || t.w.length < 1)) continue;
    // A verb directly before a field trigger names a thing ("预约包含…").
    if (FIELD_TRIGGERS.has(ts[i + 1]?.w ?? '')) continue;
    let actor: string | null | undefined;
    for (let k = i - 1; k >= 0; k--) {
      const p = ts[k]!;
      if (p.w === ',' || p.w === ';' || p.w === ':') break;
      if (p.tag === 'f') {
        // "在手机上": skip the place phrase back to its preposition.
        while (k > 0 && ts[k]!.tag !== 'p') k--;
        continue;
      }
      if (ZH_VERB_ACTIONS[p.w] !== undefined && consumed.has(k) === false) {
        actor = found.find((f) => f.index === k)?.actor ?? null;
        break;
      }
      if (isNoun(p)) {
        const label = nounRunBefore(ts, k);
        actor = actorOf(label);
        if (actor === undefined) actor = null;
        break;
      }
    }
    if (actor === undefined) actor = clauseActor;
    else clauseActor = actor;
    let object: string | null = IMPLICIT_OBJECT[t.w] ?? null;
    for (let k = i + 1; k < ts.length && object === null; k++) {
      const n = ts[k]!;
      if (isNoun(n)) {
        object = nounRun(ts, k)?.label ?? null;
        break;
      }
      // "取消预约。": a verb-tagged word that ends the clause is the thing acted on.
      if (n.tag.startsWith('v') && k === i + 1 && (ts[k + 1] === undefined || PUNCT.test(ts[k + 1]!.w))) {
        object = n.w;
        takenAsObject.add(k);
        break;
      }
      const measured = n.w.replace(MEASURE, '');
      if (
        /^(r|q|m)$/.test(n.tag) &&
        measured.length > 0 &&
        measured !== n.w &&
        /\p{Script=Han}/u.test(measured)
      ) {
        object = measured;
        break;
      }
      if (/^(u|uj|ul|r|m|q|d|a|b|f)$/.test(n.tag) && n.w !== ',' && !PUNCT.test(n.w)) {
        if (n.tag === 'r' && /^(它|它们|其)$/.test(n.w)) {
          object = ctx.lastObject;
          break;
        }
        continue;
      }
      break;
    }
    const negated = ts.slice(Math.max(0, i - 3), i).some((p) => NEGATION.has(p.w));
    const action = mapped ?? camelName(t.w);
    if (action.length === 0) continue;
    found.push({ index: i, verb: t.w, action, actor, object, negated });
  }
  for (let k = found.length - 2; k >= 0; k--) {
    const f = found[k]!;
    const next = found[k + 1]!;
    const gap = ts.slice(f.index + 1, next.index);
    if (f.object === null && next.object !== null && gap.every((g) => SEP.has(g.w) || g.tag === 'd')) {
      f.object = next.object;
    }
  }
  for (const f of found) {
    if (f.actor !== null) ctx.lastActor = f.actor;
    if (f.object !== null) ctx.lastObject = f.object;
    if (f.object !== null && !isEntityLabel(f.object)) {
      facts.questions.push(
        `[vague_object] "${f.verb}${f.object}" in "${facts.source}": not specific enough to model`,
      );
      continue;
    }
    facts.actions.push({
      actor: f.actor,
      verb: f.verb,
      action: f.action,
      object: f.object,
      negated: f.negated,
    });
    if (f.actor !== null) facts.actors.push(f.actor);
  }
}

/** Items of a list "书名、作者、唯一的ISBN和状态(可借、已借出、遗失)". */
function listItems(ts: Tok[], start: number, consumed?: Set<number>): FieldMention[] {
  const items: FieldMention[] = [];
  let j = start;
  let cur: string[] = [];
  let unique = false;
  let required: boolean | null = null;
  let many = false;
  let enumValues: string[] | undefined;
  const flush = () => {
    const label = cur.join('');
    if (label.length > 0 && camelName(label).length > 0) {
      items.push({ label, unique, required, many, ...(enumValues !== undefined ? { enumValues } : {}) });
    }
    cur = [];
    unique = false;
    required = null;
    many = false;
    enumValues = undefined;
  };
  while (j < ts.length) {
    const t = ts[j]!;
    if (t.w === '(') {
      const values: string[] = [];
      let v = '';
      j++;
      while (j < ts.length && ts[j]!.w !== ')') {
        const x = ts[j]!.w;
        if (SEP.has(x)) {
          if (v.length > 0) values.push(v);
          v = '';
        } else v += x;
        j++;
      }
      if (v.length > 0) values.push(v);
      enumValues = values;
      j++;
      continue;
    }
    if (SEP.has(t.w)) {
      flush();
      j++;
      continue;
    }
    if (t.w === '唯一') unique = true;
    else if (t.w === '必填') required = true;
    else if (t.w === '可选') required = false;
    else if (MANY.test(t.w)) many = true;
    else if (t.tag === 'uj' || t.w === '的' || t.w === '一个' || t.tag === 'm') {
      // particles and counts carry no name
    } else if (isNoun(t) || (t.tag.startsWith('v') && listWordEnds(ts, j))) cur.push(t.w);
    else break;
    consumed?.add(j);
    j++;
  }
  flush();
  return items;
}

/** In a list, a verb-tagged word followed by a noun, a separator or the end names a field ("描述"). */
function listWordEnds(ts: Tok[], j: number): boolean {
  const next = ts[j + 1];
  return next === undefined || isNoun(next) || SEP.has(next.w) || PUNCT.test(next.w);
}

/** "会员注册时填写姓名和邮箱": verbs by which a thing describes itself, then what it fills in. */
const ZH_SELF_VERBS = new Set(['注册', '报名', '登记', '申请', '入会', '开户', '入职']);
const ZH_SELF_LINKS = new Set([
  '时',
  '时需',
  '时要',
  '需要',
  '需',
  '要',
  '须',
  '必须',
  '应',
  '应当',
  '应该',
  '时须',
  '时应',
]);
const ZH_FILL_VERBS = new Set(['填写', '提供', '输入', '录入', '填', '留下', '提交', '登记']);

/**
 * The thing a "填写/提供 A、B和C" list describes: after a comma, what the clause before acted on
 * ("教师创建课程，填写…" → 课程); else the subject of the verb before it ("客人预订时需要提供…" → 客人),
 * or the noun right before it ("每辆自行车登记编号…").
 */
function fillOwner(ts: Tok[], j: number): string | null {
  let k = j - 1;
  if (ts[k]?.w === '，' || ts[k]?.w === ',')
    return isNoun(ts[k - 1] ?? { w: '', tag: '' }) ? nounRunBefore(ts, k - 1) : null;
  while (k >= 0 && ZH_SELF_LINKS.has(ts[k]!.w)) k--;
  const t = ts[k];
  if (t === undefined) return null;
  if (isNoun(t)) return nounRunBefore(ts, k);
  if (isVerbTag(t) && k > 0 && isNoun(ts[k - 1]!)) return nounRunBefore(ts, k - 1);
  return null;
}

function fields(ts: Tok[], facts: SentenceFacts, consumed: Set<number>): void {
  for (let j = 1; j < ts.length; j++) {
    if (!ZH_FILL_VERBS.has(ts[j]!.w) || ZH_SELF_VERBS.has(ts[j - 1]!.w)) continue;
    const owner = fillOwner(ts, j);
    if (owner === null || !isEntityLabel(owner) || facts.fields.some((f) => f.entity === owner)) continue;
    const items = listItems(ts, j + 1, consumed);
    if (items.length === 0) continue;
    consumed.add(j);
    facts.fields.push({ entity: owner, fields: items.filter((f) => !f.many) });
  }
  for (let i = 1; i < ts.length; i++) {
    if (!ZH_SELF_VERBS.has(ts[i]!.w) || !isNoun(ts[i - 1]!)) continue;
    let j = i + 1;
    while (ZH_SELF_LINKS.has(ts[j]?.w ?? '')) j++;
    if (!ZH_FILL_VERBS.has(ts[j]?.w ?? '')) continue;
    const entity = nounRunBefore(ts, i - 1);
    if (!isEntityLabel(entity)) continue;
    const items = listItems(ts, j + 1, consumed);
    if (items.length === 0) continue;
    for (let k = i; k <= j; k++) consumed.add(k);
    facts.fields.push({ entity, fields: items.filter((f) => !f.many) });
    facts.actions.push({
      actor: actorOf(entity) ?? null,
      verb: ts[i]!.w,
      action: 'create',
      object: entity,
      negated: false,
    });
  }
  for (let i = 1; i < ts.length; i++) {
    if (!FIELD_TRIGGERS.has(ts[i]!.w)) continue;
    let k = i - 1;
    while (k >= 0 && /^(的|信息|字段|属性)$/.test(ts[k]!.w)) k--;
    const prev = ts[k];
    if (prev === undefined) continue;
    const entity = isNoun(prev) ? nounRunBefore(ts, k) : prev.tag.startsWith('v') ? prev.w : '';
    if (!isEntityLabel(entity) || ENUM_FIELDS.test(entity)) continue;
    const items = listItems(ts, i + 1, consumed);
    if (items.length === 0) continue;
    facts.fields.push({ entity, fields: items.filter((f) => !f.many) });
    for (const r of items.filter((f) => f.many))
      facts.relations.push({ from: entity, to: r.label, kind: 'one_to_many' });
  }
  const belongs = ts.findIndex((t) => t.w === '属于');
  if (belongs > 0) {
    const owner = nounRunBefore(ts, belongs - 1);
    const target = nounRun(ts, belongs + 1);
    if (isEntityLabel(owner) && target !== null && isEntityLabel(target.label)) {
      facts.relations.push({ from: owner, to: target.label, kind: 'many_to_one' });
    }
  }
}

function statements(ts: Tok[], sentence: string, facts: SentenceFacts, consumed: Set<number>): void {
  // "订单的状态分为待支付、已支付和已发货"
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (!ENUM_FIELDS.test(t.w) || !isNoun(t)) continue;
    let j = i + 1;
    if (ts[j]?.w === '可以' || ts[j]?.w === '可能') j++;
    if (!ENUM_TRIGGERS.has(ts[j]?.w ?? '')) continue;
    const items = listItems(ts, j + 1);
    const values = items.map((v) => v.label);
    // listItems drops words it cannot name; read the raw values between separators instead.
    const raw: string[] = [];
    let v = '';
    let end = j + 1;
    for (let k = j + 1; k < ts.length; k++, end = k) {
      const x = ts[k]!;
      if (PUNCT.test(x.w) && !SEP.has(x.w)) break;
      if (SEP.has(x.w)) {
        if (v.length > 0) raw.push(v);
        v = '';
      } else v += x.w;
    }
    if (v.length > 0) raw.push(v);
    const enumValues = raw.length >= 2 ? raw : values;
    if (enumValues.length < 2) continue;
    let e = i - 1;
    if (ts[e]?.w === '的') e--;
    const owner = ts[e];
    const entity =
      owner === undefined
        ? null
        : isNoun(owner)
          ? nounRunBefore(ts, e)
          : owner.tag.startsWith('v')
            ? owner.w
            : null;
    facts.fieldStatements.push({ entity, field: t.w, enumValues });
    for (let k = Math.max(0, e); k < end; k++) consumed.add(k);
  }
  const uniq =
    /([\p{Script=Han}A-Za-z0-9]{1,8}?)(?:必须|需要|应该)?(?:唯一|不能重复|不可重复|不得重复)/u.exec(sentence);
  if (uniq !== null && !/^(是|为)$/.test(uniq[1]!)) {
    facts.fieldStatements.push({
      entity: null,
      field: uniq[1]!.replace(/^(每个|每本|每位|的)/, ''),
      unique: true,
    });
  }
  const typed =
    /([\p{Script=Han}A-Za-z0-9]{1,8}?)(?:的类型)?(?:是|为|必须是|应该是)(数字|数值|小数|整数|日期|时间|邮箱|网址|布尔值|布尔|文本|字符串)[。.]?$/u.exec(
      sentence,
    );
  if (typed !== null) {
    const type = TYPE_WORDS[typed[2]!];
    if (type !== undefined) facts.fieldStatements.push({ entity: null, field: typed[1]!, type });
  }
}

const MEASURE_ONLY = /^(本|个|件|次|门|张|位|条|项|份|名|间|台|辆)$/;
/** Modal and comparison verbs of a bound ("不能超过"): not the action the bound is about. */
const ZH_BOUND_VERBS = new Set([
  '能',
  '不能',
  '可以',
  '不可以',
  '可',
  '不可',
  '不得',
  '超过',
  '多于',
  '少于',
  '低于',
  '允许',
  '不允许',
]);
const ZH_MAX_BEFORE =
  /(最多|至多|只能|不超过|不能超过|不得超过|不可超过|不可以超过|不允许超过|不多于|不得多于|不能多于|上限为|上限是)/;
const ZH_MIN_BEFORE = /(至少|最少|不少于|不能少于|不得少于|不低于|不能低于|下限为|下限是)/;
const ZH_DIGITS: Record<string, number> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const ZH_UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000, 万: 10000 };

/**
 * A count written in digits or Chinese numerals, maybe followed by a measure word: "3", "三",
 * "二十名", "十二", "一百零五". Null when the word is not a number.
 */
export function zhCount(word: string): { value: number; measured: boolean } | null {
  const measure = /(本|个|件|次|门|张|位|条|项|份|名|间|台|辆|人|天|小时)$/.exec(word);
  const n = measure === null ? word : word.slice(0, -measure[0].length);
  if (n.length === 0) return null;
  if (/^\d+(\.\d+)?$/.test(n)) return { value: Number(n), measured: measure !== null };
  let total = 0;
  let digit: number | null = null;
  for (const ch of n) {
    const d = ZH_DIGITS[ch];
    if (d !== undefined) {
      digit = d;
      continue;
    }
    const unit = ZH_UNITS[ch];
    if (unit === undefined) return null;
    // "十二" is 12: a unit with no digit before it counts once.
    total += (digit ?? 1) * unit;
    digit = null;
  }
  return { value: total + (digit ?? 0), measured: measure !== null };
}

function rules(ts: Tok[], facts: SentenceFacts): void {
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    const count = zhCount(t.w);
    if (count === null) continue;
    const before = ts
      .slice(Math.max(0, i - 4), i)
      .map((x) => x.w)
      .join('');
    let type: 'max_count' | 'min_count' | null = null;
    if (ZH_MAX_BEFORE.test(before)) type = 'max_count';
    else if (ZH_MIN_BEFORE.test(before)) type = 'min_count';
    if (type === null) continue;
    let entity: string | null = null;
    const next = ts[i + 1];
    // "二十名学生": the measure word was glued to the number; the noun follows.
    if (count.measured && next !== undefined && isNoun(next)) entity = nounRun(ts, i + 1)?.label ?? next.w;
    else if (next !== undefined) {
      const rest = next.w.replace(MEASURE, '');
      if (rest.length > 0 && next.w !== rest) entity = rest;
      else if (rest.length > 0 && isNoun(next)) entity = nounRun(ts, i + 1)?.label ?? rest;
      else entity = nounRun(ts, i + 2)?.label ?? null;
    }
    let per: string | null = null;
    const each = ts.findIndex((x) => x.w.startsWith('每'));
    if (each >= 0) {
      const glued = ts[each]!.w.replace(/^每(位|个|名|本|人|门|张|件|间|台|辆)?/, '');
      // "每 门 课程": a measure word of its own sits between 每 and the noun.
      const after = MEASURE_ONLY.test(ts[each + 1]?.w ?? '') ? each + 2 : each + 1;
      per = glued.length > 0 && glued !== ts[each]!.w ? glued : (nounRun(ts, after)?.label ?? null);
      if (ts[each]!.w === '每人') per = null;
    }
    const verbBetween = ts
      .slice(Math.max(0, i - 3), i)
      .find((x) => isVerbTag(x) && !ZH_NON_ACTION.has(x.w) && !ZH_BOUND_VERBS.has(x.w));
    const act =
      verbBetween !== undefined
        ? { action: ZH_VERB_ACTIONS[verbBetween.w] ?? camelName(verbBetween.w), actor: null }
        : facts.actions.find((a) => a.action !== 'auth');
    if (per === null) per = facts.actions.find((a) => a.actor !== null)?.actor ?? null;
    facts.rules.push({
      type,
      value: count.value,
      entity,
      per,
      action: act?.action ?? null,
      field: null,
    });
  }
}
