import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import type { Priority } from '../../contracts/requirements.js';
import { camelName } from '../shared/naming.js';
import { chineseBounds } from './bounds.js';
import { commonFacts } from './common.js';
import { emptyFacts, type FieldMention, type SentenceFacts } from './facts.js';
import {
  dictionary,
  TYPE_WORDS,
  ZH_ACTOR_SUFFIXES,
  ZH_ACTORS,
  ZH_EN_WORDS,
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

// jieba tags words outside its dictionary `x` ("工单"): in requirements those are nouns of the domain.
const isNoun = (t: Tok) =>
  (/^(n|nr|ns|nt|nz|nrt|ng|vn|eng|nrfg|t)$/.test(t.tag) ||
    (t.tag === 'x' && /^\p{Script=Han}{2,}$/u.test(t.w) && !t.w.startsWith('每'))) &&
  !PUNCT.test(t.w);
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

/**
 * jieba's dictionary joins some verb-object pairs into one noun ("主办方 创建活动/n"): after a subject,
 * a word that is a known action verb followed by a known noun is the two.
 */
function splitVerbObject(ts: Tok[]): Tok[] {
  const out: Tok[] = [];
  for (const [i, t] of ts.entries()) {
    const prev = ts[i - 1];
    const verb = t.w.slice(0, 2);
    const rest = t.w.slice(2);
    if (
      isNoun(t) &&
      prev !== undefined &&
      isNoun(prev) &&
      ZH_EN_WORDS[t.w] === undefined &&
      ZH_VERB_ACTIONS[verb] !== undefined &&
      ZH_EN_WORDS[rest] !== undefined
    ) {
      out.push({ w: verb, tag: 'v' }, { w: rest, tag: 'n' });
    } else out.push(t);
  }
  return out;
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
  const ts: Tok[] = splitVerbObject(
    segmenter()
      .tag(sentence, true)
      .map((t) => ({ w: t.word, tag: t.tag }))
      .filter((t) => t.w.trim().length > 0),
  );
  facts.priority = chinesePriority(sentence);
  const benefit = /(?:以便|从而|这样)(.+?)[。.!?]*$/.exec(sentence);
  facts.benefit = benefit?.[1] ?? null;

  const consumed = new Set<number>();
  fields(ts, facts, consumed);
  // Statements first: "预约的状态分为待确认、已确认…" names values, and its verbs are not actions.
  statements(ts, sentence, facts, consumed);
  actions(ts, facts, ctx, consumed);
  rules(facts);
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
    } else if (GIVE_TRIGGERS.has(t.w) || FIELD_TRIGGERS.has(t.w)) break;
    else if (isNoun(t) || (t.tag.startsWith('v') && listWordEnds(ts, j))) cur.push(t.w);
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

function fields(ts: Tok[], facts: SentenceFacts, consumed: Set<number>): void {
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
  givenFields(ts, facts, consumed);
  const belongs = ts.findIndex((t) => t.w === '属于');
  if (belongs > 0) {
    const owner = nounRunBefore(ts, belongs - 1);
    const target = nounRun(ts, belongs + 1);
    if (isEntityLabel(owner) && target !== null && isEntityLabel(target.label)) {
      facts.relations.push({ from: owner, to: target.label, kind: 'many_to_one' });
    }
  }
}

/** Verbs whose list is information given about something: "填写姓名和邮箱", "登记商品的名称、价格". */
const GIVE_TRIGGERS = new Set(['填写', '提供', '输入', '录入', '填入', '登记', '留下', '上传', '选择']);
/** 每 + a measure word before a noun ("每辆自行车"): not part of the name. */
const EACH_PREFIX = /^每[本个件张位名条项份间台辆门次把只套部篇首家所座栋场节]?/u;

/**
 * Fields of what is being created or of the subject: "管理员添加图书，填写书名、作者和ISBN" (the book's),
 * "会员注册时填写姓名和邮箱" (the member's), "登记商品的名称、价格和库存数量" (the product's).
 */
function givenFields(ts: Tok[], facts: SentenceFacts, consumed: Set<number>): void {
  for (let i = 0; i < ts.length; i++) {
    if (!GIVE_TRIGGERS.has(ts[i]!.w) || consumed.has(i)) continue;
    let start = i + 1;
    let owner: string | null = null;
    // "登记商品的名称…": the noun before 的 owns the list.
    const run = nounRun(ts, start);
    if (run !== null && ts[run.end]?.w === '的') {
      owner = run.label;
      start = run.end + 1;
    }
    const probe = listItems(ts, start);
    // "住户登记车辆": one thing registered is an action's object, not a list of fields.
    if (probe.length === 0 || (owner === null && probe.length < 2 && ts[i]!.w === '登记')) continue;
    if (owner === null) {
      // The thing the sentence creates before the list ("添加图书，填写…"), else its subject.
      for (let k = i - 1; k >= 0 && owner === null; k--) {
        const v = ts[k]!;
        const action = ZH_VERB_ACTIONS[v.w];
        if (action === undefined || action === 'auth') continue;
        const obj = nounRun(ts, k + 1);
        if (
          obj !== null &&
          obj.end <= i &&
          actorOf(obj.label) === undefined &&
          !ZH_VAGUE_NOUNS.has(obj.label)
        )
          owner = obj.label;
      }
      if (owner === null) {
        const first = ts.findIndex((t) => isNoun(t) || EACH_PREFIX.test(t.w));
        const subj =
          first >= 0
            ? nounRun(ts, EACH_PREFIX.test(ts[first]!.w) && !isNoun(ts[first]!) ? first + 1 : first)
            : null;
        owner = subj?.label.replace(EACH_PREFIX, '') ?? null;
      }
    }
    if (owner === null || !isEntityLabel(owner)) continue;
    const items = listItems(ts, start, consumed);
    consumed.add(i);
    facts.fields.push({ entity: owner, fields: items.filter((f) => !f.many) });
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

const BOUND_TOOLS = {
  segment: (s: string): Tok[] =>
    segmenter()
      .tag(s, true)
      .map((t) => ({ w: t.word, tag: t.tag }))
      .filter((t) => t.w.trim().length > 0),
  // Field names in bounds may be distinguishing words: 优先级/b.
  isNoun: (t: Tok) => isNoun(t) || (t.tag === 'b' && t.w.length >= 2),
  actionOf: (verb: string): string | null =>
    ZH_VERB_ACTIONS[verb] ?? (ZH_NON_ACTION.has(verb) ? null : camelName(verb) || null),
};

function rules(facts: SentenceFacts): void {
  const act = facts.actions.find((a) => a.action !== 'auth');
  const found = chineseBounds(facts.source, BOUND_TOOLS, act?.action ?? null);
  // The owner of a count the sentence does not name with 每 is the actor of its action.
  for (const r of found) if (r.per === null && r.type.endsWith('_count')) r.per = act?.actor ?? null;
  facts.rules.push(...found);
}
