import nlp from 'compromise';
import type { Priority } from '../../contracts/requirements.js';
import { camelName } from '../shared/naming.js';
import { NUMBER_WORDS } from '../shared/vocabulary.js';
import { commonFacts } from './common.js';
import {
  type ActionFact,
  emptyFacts,
  type FieldMention,
  type FieldStatement,
  type RuleFact,
  type SentenceFacts,
} from './facts.js';
import {
  dictionary,
  EN_ACTORS,
  EN_NON_ACTION,
  EN_SYSTEM_NOUNS,
  EN_VAGUE_NOUNS,
  EN_VERB_ACTIONS,
  TYPE_WORDS,
} from './lexicon.js';
import { extractNfrs } from './nfr.js';
import { screenSentence } from './text.js';

// "200 ms." ends a sentence in requirements far more often than "Ms." starts a name.
// biome-ignore lint/suspicious/noExplicitAny: compromise's world model is untyped.
const world = (nlp as any).world();
delete world.model.one.abbreviations.ms;

interface Tok {
  text: string;
  norm: string;
  root: string;
  tags: Set<string>;
  pre: string;
  post: string;
}

interface TermJson {
  text: string;
  normal: string | null;
  root?: string | null;
  tags: string[];
  pre: string | null;
  post: string | null;
}

const CRUD_ACTIONS = new Set(['create', 'read', 'list', 'update', 'delete', 'search', 'manage', 'auth']);
const BE = new Set(['be', 'is', 'are', 'was', 'were', 'been', 'being', 'get', 'gets']);
const OBJ_PREPS = new Set([
  'from',
  'for',
  'through',
  'into',
  'to',
  'on',
  'at',
  'in',
  'about',
  'with',
  'between',
]);
const PRONOUN_USER = new Set(['you', 'i', 'we', 'me', 'us']);
const PRONOUN_THING = new Set(['it', 'them', 'they', 'these', 'those', 'this', 'that']);
const LIST_TRIGGER_VERBS = new Set([
  'have',
  'has',
  'contain',
  'include',
  'store',
  'consist',
  'hold',
  'give',
  'provide',
  'enter',
]);
const MODIFIERS_MANY = new Set(['many', 'multiple', 'several', 'some', 'various']);
const TIME_UNITS = new Set([
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'year',
  'time',
  'semester',
  'quarter',
  'term',
  'session',
  'period',
]);
/** "Tasks should be searchable": the adjective names the action. */
const ADJ_ACTIONS: Record<string, string> = dictionary({
  searchable: 'search',
  filterable: 'search',
  editable: 'update',
  deletable: 'delete',
  removable: 'delete',
  viewable: 'read',
});

function toks(terms: TermJson[]): Tok[] {
  return terms
    .filter((t) => t.text.length > 0 || t.tags.includes('Negative'))
    .map((t) => {
      const norm = (t.normal ?? t.text).toLowerCase();
      return {
        text: t.text,
        norm,
        root: typeof t.root === 'string' && t.root.length > 0 ? t.root.toLowerCase() : norm,
        tags: new Set(t.tags),
        pre: t.pre ?? '',
        post: t.post ?? '',
      };
    });
}

/** compromise mistags some requirement phrasing; fix the cases that matter here. */
function repairTags(ts: Tok[]): Tok[] {
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    const prev = ts[i - 1];
    const next = ts[i + 1];
    if (PRONOUN_USER.has(t.norm) || PRONOUN_THING.has(t.norm)) {
      if (!t.tags.has('Determiner')) t.tags = new Set(['Noun', 'Pronoun']);
      continue;
    }
    // "customers browse products", "and place orders": a known action word between a subject and an object.
    if (
      t.tags.has('Noun') &&
      !t.tags.has('Plural') &&
      EN_VERB_ACTIONS[t.norm] !== undefined &&
      prev !== undefined &&
      (EN_ACTORS.has(prev.root) ||
        prev.norm === 'and' ||
        prev.norm === 'or' ||
        prev.norm === 'to' ||
        prev.tags.has('Modal')) &&
      next !== undefined &&
      (next.tags.has('Noun') || next.tags.has('Determiner') || next.tags.has('Verb'))
    ) {
      t.tags = new Set(['Verb', 'PresentTense', 'Infinitive']);
      t.root = t.norm;
    }
    // "Tasks should …", "delete tasks": a plural noun tagged as a present-tense verb.
    if (
      t.tags.has('Verb') &&
      t.tags.has('PresentTense') &&
      !t.tags.has('Infinitive') &&
      !t.tags.has('Gerund') &&
      /s$/.test(t.norm) &&
      (i === 0 ||
        prev?.tags.has('Determiner') ||
        prev?.tags.has('Adjective') ||
        prev?.tags.has('Gerund') ||
        next === undefined ||
        next.tags.has('Modal') ||
        next.tags.has('Auxiliary') ||
        // "users add tasks with a title", "list tasks and …": the object of a known action.
        (prev?.tags.has('Verb') &&
          EN_VERB_ACTIONS[prev.root] !== undefined &&
          (next.tags.has('Preposition') || next.tags.has('Conjunction') || breaksAfter(t))))
    ) {
      t.tags = new Set(['Noun', 'Plural']);
      if (t.root === t.norm) t.root = t.norm.replace(/s$/, '');
    }
  }
  return ts;
}

const isNeg = (t: Tok) => t.tags.has('Negative') || t.norm === 'not' || t.norm === 'never';
const isNounTok = (t: Tok) =>
  t.tags.has('Noun') && !t.tags.has('Pronoun') && !t.tags.has('Determiner') && /[\p{L}]/u.test(t.text);
const isAux = (t: Tok) => t.tags.has('Auxiliary') || t.tags.has('Modal') || t.tags.has('Copula');
const breaksAfter = (t: Tok) => /[,;:.!?)]/.test(t.post);

export function englishPriority(sentence: string): Priority | null {
  const s = sentence.toLowerCase();
  if (/\b(won't|wont|will not|out of scope|not in scope|not required|no need to)\b/.test(s)) return 'wont';
  if (/\b(must|shall|has to|have to|needs? to|is required|are required|required to|mandatory)\b/.test(s)) {
    return 'must';
  }
  if (/\bshould\b/.test(s)) return 'should';
  if (/\b(could|may|might|optionally|optional|nice to have)\b/.test(s)) return 'could';
  return null;
}

function actionOf(t: Tok, next: Tok | undefined): { verb: string; action: string; span: number } | null {
  if (next !== undefined && (next.tags.has('Particle') || ['in', 'up', 'out'].includes(next.norm))) {
    const phrasal = `${t.root} ${next.norm}`;
    const a = EN_VERB_ACTIONS[phrasal];
    if (a !== undefined) return { verb: phrasal, action: a, span: 2 };
  }
  if (!t.tags.has('Verb') || isAux(t) || t.tags.has('Negative')) return null;
  if (EN_NON_ACTION.has(t.root) || EN_NON_ACTION.has(t.norm)) return null;
  const mapped = EN_VERB_ACTIONS[t.root];
  if (mapped !== undefined) return { verb: t.root, action: mapped, span: 1 };
  const id = camelName(t.root);
  if (id.length < 2 || !/^[a-z]+$/.test(t.root)) return null;
  return { verb: t.root, action: id, span: 1 };
}

/** Reads a noun phrase from i: returns its label (last noun singular) and the index after it. */
function nounPhrase(ts: Tok[], i: number): { label: string; end: number; many: boolean } | null {
  let j = i;
  let many = false;
  while (j < ts.length) {
    const t = ts[j]!;
    if (t.tags.has('Determiner') || t.tags.has('Possessive') || t.tags.has('Value') || t.tags.has('Adverb')) {
      if (MODIFIERS_MANY.has(t.norm)) many = true;
      j++;
      continue;
    }
    if (t.tags.has('Adjective') && j + 1 < ts.length && isNounTok(ts[j + 1]!) && !breaksAfter(t)) {
      if (MODIFIERS_MANY.has(t.norm)) many = true;
      j++;
      continue;
    }
    break;
  }
  const words: Tok[] = [];
  while (j < ts.length && isNounTok(ts[j]!)) {
    words.push(ts[j]!);
    const stop = breaksAfter(ts[j]!);
    j++;
    if (stop || words.length >= 3) break;
  }
  if (words.length === 0) return null;
  const last = words[words.length - 1]!;
  const label = [...words.slice(0, -1).map((w) => w.norm), last.root].join(' ');
  return { label: label.replace(/[^\p{L}\p{N} -]/gu, '').trim(), end: j, many };
}

function isEntityLabel(label: string): boolean {
  const l = label.toLowerCase();
  const head = l.split(' ').pop() ?? l;
  return (
    camelName(l).length > 0 &&
    !EN_VAGUE_NOUNS.has(l) &&
    !EN_VAGUE_NOUNS.has(head) &&
    !EN_SYSTEM_NOUNS.has(head) &&
    !TIME_UNITS.has(head) &&
    !/^\d/.test(l)
  );
}

function actorOf(label: string, tok: Tok | undefined): string | null | undefined {
  const head = label.split(' ').pop() ?? label;
  if (EN_SYSTEM_NOUNS.has(head)) return null;
  if (EN_ACTORS.has(head) || EN_ACTORS.has(label)) return label;
  if (tok !== undefined && (tok.tags.has('Actor') || tok.tags.has('Person'))) return label;
  // A noun that is neither a role nor the product: not an actor.
  return undefined;
}

interface Found extends ActionFact {
  index: number;
  span: number;
  objectIndex: number;
  end: number;
}

export interface EnglishContext {
  lastActor: string | null;
  lastObject: string | null;
}

export function extractEnglish(chunk: string, ctx: EnglishContext): SentenceFacts[] {
  const doc = nlp(chunk);
  doc.compute('root');
  const out: SentenceFacts[] = [];
  for (const s of doc.json() as Array<{ text: string; terms: TermJson[] }>) {
    const sentence = s.text.trim();
    if (!/[\p{L}\p{N}]/u.test(sentence)) continue;
    const facts = emptyFacts(sentence, 'en');
    const screened = screenSentence(sentence);
    if (screened !== null) {
      facts.questions.push(screened);
      facts.skipped = true;
      out.push(facts);
      continue;
    }
    analyseSentence(repairTags(toks(s.terms)), sentence, facts, ctx);
    out.push(facts);
  }
  return out;
}

function analyseSentence(ts: Tok[], sentence: string, facts: SentenceFacts, ctx: EnglishContext): void {
  facts.priority = englishPriority(sentence);
  const benefit = /\b(?:so that|in order to)\s+(.+?)[.!?]*$/i.exec(sentence);
  facts.benefit = benefit?.[1] ?? null;
  const benefitStart = benefit === null ? ts.length : tokenIndexOf(ts, /^(so|in)$/, sentence, benefit.index);

  // 1. Actions with their subject and object.
  const found: Found[] = [];
  let depth = 0;
  for (let i = 0; i < Math.min(ts.length, benefitStart); i++) {
    const t = ts[i]!;
    // Words in parentheses are values or asides ("status (available, borrowed)"), not actions.
    depth += t.pre.match(/\(/g)?.length ?? 0;
    const inParens = depth > 0;
    depth = Math.max(0, depth - (t.post.match(/\)/g)?.length ?? 0));
    if (inParens) continue;
    // compromise tags a plural noun right after a verb as a verb sometimes ("delete tasks").
    const prev = ts[i - 1];
    if (prev !== undefined && found.some((f) => f.index === i - 1 && f.span === 1) && !breaksAfter(prev)) {
      if (t.tags.has('Verb') && !t.tags.has('Infinitive') && /s$/.test(t.norm)) continue;
    }
    const adj = ADJ_ACTIONS[t.norm];
    if (adj !== undefined) {
      const subj = subjectLeft(ts, i, found);
      if (subj?.kind === 'noun') {
        found.push({
          actor: null,
          verb: t.norm.replace(/able$/, ''),
          action: adj,
          object: subj.label,
          negated: false,
          index: i,
          span: 1,
          objectIndex: subj.index,
          end: i + 1,
        });
      }
      continue;
    }
    // "recurring tasks": a participle before a noun describes it.
    if (
      t.tags.has('Gerund') &&
      ts[i + 1] !== undefined &&
      (isNounTok(ts[i + 1]!) || ts[i + 1]!.tags.has('Plural')) &&
      !breaksAfter(t)
    )
      continue;
    const a = actionOf(t, ts[i + 1]);
    if (a === null) continue;
    // Participles inside a noun phrase ("borrowed books") and gerund subjects are not actions.
    if (t.tags.has('PastTense') && i > 0 && ts[i - 1]!.tags.has('Determiner')) continue;
    const passive = isPassive(ts, i);
    const negated = ts.slice(Math.max(0, i - 3), i).some(isNeg);
    let actor: string | null = null;
    let object: string | null = null;
    let objectIndex = -1;
    let end = i + a.span;
    if (passive) {
      const subj = subjectLeft(ts, i, found);
      if (subj !== null && subj.kind === 'noun') {
        object = subj.label;
        objectIndex = subj.index;
      }
      const by = ts.findIndex((x, k) => k > i && x.norm === 'by');
      if (by > 0) {
        const np = nounPhrase(ts, by + 1);
        if (np !== null) actor = actorOf(np.label, ts[np.end - 1]) ?? null;
      }
    } else {
      const subj = subjectLeft(ts, i, found);
      if (subj === null && !CRUD_ACTIONS.has(a.action)) {
        // "Enjoy the journey!": an action nobody performs is not a requirement.
        facts.questions.push(`[no_actor] "${t.text.trim()}" in "${sentence}": who does this?`);
        continue;
      }
      if (subj?.kind === 'inherit') actor = subj.actor;
      else if (subj?.kind === 'noun') actor = actorOf(subj.label, ts[subj.index]) ?? null;
      else if (subj?.kind === 'user') actor = 'user';
      const lastHere = [...found].reverse().find((f) => f.object !== null)?.object;
      const after = ts[i + a.span]?.norm === 'up' ? i + a.span + 1 : i + a.span;
      if (SELF_DESCRIBING_VERBS.has(t.root) && ts[after]?.norm === 'with' && subj?.kind === 'noun') {
        // "Members register with a name": they create themselves; the list is their fields.
        found.push({
          ...a,
          actor,
          object: subj.label,
          negated,
          index: i,
          objectIndex: subj.index,
          end: after,
          span: a.span,
        });
        continue;
      }
      const obj = objectRight(
        ts,
        i + a.span,
        lastHere === undefined ? ctx : { ...ctx, lastObject: lastHere },
      );
      if (obj !== null) {
        object = obj.label;
        objectIndex = obj.index;
        end = obj.end;
      }
    }
    found.push({ ...a, actor, object, negated, index: i, objectIndex, end, span: a.span });
  }
  // Coordinated verbs share the object of the last one ("create, edit and delete tasks").
  for (let k = found.length - 2; k >= 0; k--) {
    const f = found[k]!;
    const next = found[k + 1]!;
    if (f.object === null && next.object !== null && between(ts, f.index + f.span, next.index)) {
      f.object = next.object;
      f.objectIndex = next.objectIndex;
    }
  }
  for (const f of found) {
    if (f.actor !== null) ctx.lastActor = f.actor;
    if (f.object !== null) ctx.lastObject = f.object;
    const { index: _i, objectIndex: _o, end: _e, span: _s, ...fact } = f;
    if (f.object !== null && !isEntityLabel(f.object)) {
      facts.questions.push(
        `[vague_object] "${f.verb} ${f.object}" in "${sentence}": not specific enough to model`,
      );
      continue;
    }
    facts.actions.push(fact);
    if (f.actor !== null) facts.actors.push(f.actor);
  }
  // Extra objects: "add books and members".
  for (const f of found) {
    if (f.object === null || f.objectIndex < 0) continue;
    let j = nounPhrase(ts, f.objectIndex)?.end ?? f.objectIndex + 1;
    while (j < ts.length && (ts[j]!.norm === 'and' || ts[j]!.norm === 'or') && !breaksAfter(ts[j - 1]!)) {
      const np = nounPhrase(ts, j + 1);
      if (np === null || (ts[np.end] !== undefined && actionOf(ts[np.end]!, ts[np.end + 1]) !== null)) break;
      if (isEntityLabel(np.label) && actorOf(np.label, ts[np.end - 1]) === undefined) {
        facts.actions.push({
          actor: f.actor,
          verb: f.verb,
          action: f.action,
          object: np.label,
          negated: f.negated,
        });
      }
      j = np.end;
    }
  }

  // 2. Fields: "<entity> with a, b and c", "<entity> has a, b and c".
  for (let i = 0; i < ts.length - 1; i++) {
    const t = ts[i]!;
    if (!isNounTok(t) || breaksAfter(t)) continue;
    let next = ts[i + 1]!;
    let start = i + 2;
    // "members register with a name and an email": the subject describes itself.
    const selfVerb = SELF_DESCRIBING_VERBS.has(next.root) ? i + 1 : -1;
    if (selfVerb >= 0) {
      let w = selfVerb + 1;
      if (ts[w]?.norm === 'up' || ts[w]?.norm === 'in') w++;
      if (ts[w]?.norm === 'with') {
        next = ts[w]!;
        start = w + 1;
      }
    }
    // "Employees are added by HR with a name", "every bike is registered with a serial number":
    // the list describes the passive subject, not the agent.
    const passiveWith = passiveWithAt(ts, i + 1);
    if (passiveWith >= 0) {
      next = ts[passiveWith]!;
      start = passiveWith + 1;
    }
    if (ts[i - 1]?.norm === 'by' && next.norm === 'with') continue;
    const trigger = next.norm === 'with' || (next.tags.has('Verb') && LIST_TRIGGER_VERBS.has(next.root));
    if (!trigger) continue;
    if (ts[start]?.norm === 'of') start++;
    const fields = fieldList(ts, start).map((f) => (next.norm === 'with' ? { ...f, many: false } : f));
    if (fields.length === 0) continue;
    const entityLabel = entityBefore(ts, i);
    if (!isEntityLabel(entityLabel)) continue;
    const relations = fields.filter((f) => f.many);
    facts.fields.push({ entity: entityLabel, fields: fields.filter((f) => !f.many) });
    for (const r of relations) facts.relations.push({ from: entityLabel, to: r.label, kind: 'one_to_many' });
  }
  // "A book belongs to a category".
  const belongs = ts.findIndex((t) => t.root === 'belong');
  if (belongs > 0 && ts[belongs + 1]?.norm === 'to') {
    const np = nounPhrase(ts, belongs + 2);
    const owner = entityBefore(ts, belongs - 1 - (isAux(ts[belongs - 1]!) ? 1 : 0));
    if (np !== null && isEntityLabel(owner) && isEntityLabel(np.label)) {
      facts.relations.push({ from: owner, to: np.label, kind: 'many_to_one' });
    }
  }

  // 3. Field statements: "ISBN must be unique", "price is a number", "status can be open, done or late".
  statements(sentence, facts);

  // 4. Business rules.
  rules(ts, facts);

  const { nfrs, mentions } = extractNfrs(sentence);
  facts.nfrs.push(...nfrs);
  facts.nfrMentions.push(...mentions);
  commonFacts(sentence, facts);
}

function tokenIndexOf(ts: Tok[], re: RegExp, sentence: string, charIndex: number): number {
  // Walk token texts to find the token that starts at charIndex.
  let pos = 0;
  for (let k = 0; k < ts.length; k++) {
    const t = ts[k]!;
    const at = sentence.indexOf(t.text, pos);
    if (at >= charIndex && re.test(t.norm)) return k;
    if (at >= 0) pos = at + t.text.length;
  }
  return ts.length;
}

function isPassive(ts: Tok[], i: number): boolean {
  const t = ts[i]!;
  if (!t.tags.has('PastTense') && !t.tags.has('Participle')) return false;
  for (let k = i - 1; k >= 0 && k >= i - 3; k--) {
    const p = ts[k]!;
    if (BE.has(p.norm) || BE.has(p.root)) return true;
    if (!p.tags.has('Adverb') && !isNeg(p)) return false;
  }
  return false;
}

type Subject =
  | { kind: 'noun'; label: string; index: number }
  | { kind: 'inherit'; actor: string | null }
  | { kind: 'user' };

function subjectLeft(ts: Tok[], i: number, found: Found[]): Subject | null {
  let sawConj = false;
  for (let k = i - 1; k >= 0; k--) {
    const t = ts[k]!;
    if (/[;:]/.test(t.post)) return null;
    const earlier = found.find((f) => f.index === k || f.objectIndex === k);
    if (earlier !== undefined && (earlier.index === k || sawConj))
      return { kind: 'inherit', actor: earlier.actor };
    if (t.norm === 'and' || t.norm === 'or' || /,/.test(t.post)) sawConj = true;
    if (t.tags.has('QuestionWord') || t.norm === 'that' || t.norm === 'which') {
      // "members who borrow": the noun before "who" is the subject.
      const before = ts[k - 1];
      if (before !== undefined && isNounTok(before))
        return { kind: 'noun', label: before.root, index: k - 1 };
      return null;
    }
    if (t.tags.has('Pronoun')) {
      if (PRONOUN_USER.has(t.norm)) return { kind: 'user' };
      if (PRONOUN_THING.has(t.norm)) return null;
      continue;
    }
    if (isNounTok(t)) {
      const np = entityBefore(ts, k);
      return { kind: 'noun', label: np, index: k };
    }
  }
  return null;
}

function objectRight(
  ts: Tok[],
  i: number,
  ctx: EnglishContext,
): { label: string; index: number; end: number } | null {
  let j = i;
  let preps = 0;
  while (j < ts.length) {
    const t = ts[j]!;
    if (t.tags.has('Pronoun') && PRONOUN_THING.has(t.norm)) {
      return ctx.lastObject === null ? null : { label: ctx.lastObject, index: -1, end: j + 1 };
    }
    if (t.tags.has('Preposition') || (t.tags.has('Conjunction') && t.norm === 'to')) {
      if (!OBJ_PREPS.has(t.norm) || preps > 0) return null;
      preps++;
      j++;
      continue;
    }
    if (
      t.tags.has('Determiner') ||
      t.tags.has('Adjective') ||
      t.tags.has('Value') ||
      t.tags.has('Adverb') ||
      t.tags.has('Possessive')
    ) {
      j++;
      continue;
    }
    if (isNounTok(t) || (t.tags.has('Verb') && /s$/.test(t.norm) && !breaksAfter(ts[j - 1]!))) {
      const np = nounPhrase(ts, j) ?? { label: t.root, end: j + 1, many: false };
      // "the details of a book": the vague head gives way to what follows "of".
      if (!isEntityLabel(np.label) && ts[np.end]?.norm === 'of') {
        const inner = nounPhrase(ts, np.end + 1);
        if (inner !== null) return { label: inner.label, index: np.end + 1, end: inner.end };
      }
      return { label: np.label, index: j, end: np.end };
    }
    return null;
  }
  return null;
}

function between(ts: Tok[], from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const t = ts[k]!;
    if (!(t.norm === 'and' || t.norm === 'or' || t.tags.has('Adverb') || t.norm === 'then')) return false;
  }
  return true;
}

/** The noun phrase ending at index k ("due date" for k at "date"), singular. */
function entityBefore(ts: Tok[], k: number): string {
  const words: Tok[] = [];
  let j = k;
  while (j >= 0 && isNounTok(ts[j]!) && words.length < 3) {
    if (j < k && breaksAfter(ts[j]!)) break;
    words.unshift(ts[j]!);
    j--;
  }
  if (words.length === 0) return '';
  const last = words[words.length - 1]!;
  return [...words.slice(0, -1).map((w) => w.norm), last.root]
    .join(' ')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .trim();
}

/** Parses "a unique ISBN, a due date and a status (available, borrowed or lost)". */
const FIELD_TAILS = new Set(['on hand', 'in stock', 'on order', 'per night', 'per hour', 'per day']);

function fieldList(ts: Tok[], start: number): FieldMention[] {
  const fields: FieldMention[] = [];
  let j = start;
  if (ts[j]?.norm === 'the' && ts[j + 1]?.norm === 'following') j += 2;
  while (j < ts.length && fields.length < 20) {
    let unique = false;
    let required: boolean | null = null;
    let many = false;
    const words: Tok[] = [];
    while (j < ts.length) {
      const t = ts[j]!;
      if (t.norm === 'and' || t.norm === 'or' || t.norm === 'as') {
        j++;
        continue;
      }
      if (t.tags.has('Determiner') || t.tags.has('Possessive')) {
        if (MODIFIERS_MANY.has(t.norm)) many = true;
        j++;
        continue;
      }
      break;
    }
    let enumValues: string[] | undefined;
    while (j < ts.length) {
      const t = ts[j]!;
      if (t.tags.has('Value')) return fields;
      if (t.norm === 'unique') unique = true;
      else if (t.norm === 'optional') required = false;
      else if (t.norm === 'required' || t.norm === 'mandatory') required = true;
      else if (MODIFIERS_MANY.has(t.norm)) many = true;
      else if (
        isNounTok(t) ||
        (t.tags.has('Adjective') && words.length === 0 && ts[j + 1] && isNounTok(ts[j + 1]!))
      ) {
        words.push(t);
      } else if (t.tags.has('Verb') && words.length > 0 && /s$/.test(t.norm) && breaksAfter(t)) {
        words.push(t);
      } else break;
      j++;
      if (breaksAfter(t) || t.post.includes('(') || ts[j]?.pre.includes('(')) break;
    }
    if (words.length === 0) break;
    // "a quantity on hand", "units in stock": the phrase names one field.
    const tail = `${ts[j]?.norm ?? ''} ${ts[j + 1]?.norm ?? ''}`;
    if (FIELD_TAILS.has(tail) && !breaksAfter(words[words.length - 1]!)) {
      words.push(ts[j]!, ts[j + 1]!);
      j += 2;
    }
    // "…, and members borrow them": a noun followed by a verb starts a new clause.
    const after = ts[j];
    if (after?.tags.has('Verb') && !after.pre.includes('(') && !breaksAfter(words[words.length - 1]!)) {
      if (!LIST_TRIGGER_VERBS.has(after.root)) break;
    }
    const last = words[words.length - 1]!;
    if (last.post.includes('(') || ts[j]?.pre.includes('(')) {
      const values: string[] = [];
      while (j < ts.length) {
        const t = ts[j]!;
        if (t.norm !== 'or' && t.norm !== 'and') values.push(t.text.replace(/[(),.;]/g, '').trim());
        j++;
        if (t.post.includes(')')) break;
      }
      enumValues = values.filter((v) => v.length > 0);
    }
    const plural = last.norm !== last.root && /s$/.test(last.norm);
    const label = [...words.slice(0, -1).map((w) => w.norm), last.root]
      .join(' ')
      .replace(/[^\p{L}\p{N} -]/gu, '')
      .trim();
    if (camelName(label).length > 0) {
      fields.push({
        label,
        unique,
        required,
        many: many || (plural && !unique && !/s$/.test(last.root)),
        ...(enumValues !== undefined && enumValues.length > 0 ? { enumValues } : {}),
      });
    }
    const sep = ts[j];
    if (sep === undefined) break;
    if (/[.;:!?]/.test(last.post) || (ts[j - 1] !== undefined && /[.;!?]/.test(ts[j - 1]!.post))) break;
    if (!(sep.norm === 'and' || sep.norm === 'or' || /,/.test(ts[j - 1]!.post))) break;
  }
  return fields;
}

const ENUM_FIELDS = '(status|state|priority|type|category|level|role|stage|size|gender|visibility|severity)';
const TYPE_NAMES = Object.keys(TYPE_WORDS)
  .filter((w) => /^[a-z ]+$/.test(w))
  .sort((a, b) => b.length - a.length)
  .join('|');

function statements(sentence: string, facts: SentenceFacts): void {
  const s = sentence.toLowerCase();
  const uniq =
    /\b([a-z][a-z-]*(?: [a-z][a-z-]*)?)s? (?:must|should|has to|have to|needs? to|will)? ?(?:be|is|are) unique\b/.exec(
      s,
    );
  if (uniq !== null) {
    const words = uniq[1]!.split(' ').filter((w) => !['the', 'a', 'an', 'each', 'every'].includes(w));
    const field = words[words.length - 1];
    if (field !== undefined) {
      facts.fieldStatements.push({ entity: words.length > 1 ? words[0]! : null, field, unique: true });
    }
  }
  const typed = new RegExp(
    String.raw`\b(?:the |each |every )?([a-z][a-z-]*(?: [a-z][a-z-]*)?) (?:is|are|must be|should be|will be) (?:an? )?(${TYPE_NAMES})\b(?! of)`,
  ).exec(s);
  if (typed !== null) {
    const words = typed[1]!.split(' ');
    const field = words.join(' ');
    const type = TYPE_WORDS[typed[2]!];
    if (type !== undefined && !EN_ACTORS.has(words[words.length - 1]!)) {
      facts.fieldStatements.push({ entity: null, field, type });
    }
  }
  const en = enumStatement(s);
  if (en !== null) facts.fieldStatements.push(en);
}

const ENUM_HEAD = new RegExp(
  String.raw`\b(?:(\w+) )?${ENUM_FIELDS} (?:can be|is one of|must be one of|is either|may be|values are|is) (?:either |one of )?`,
);

/**
 * "the ticket status can be open, pending or closed". The list is cut by hand: as one regex
 * (`[\w -]+(?:, ?[\w -]+)*,? (?:or|and) [\w -]+`) every comma doubled the ways to fail, and a
 * 40-item list with no "or" took hours.
 */
export function enumStatement(sentence: string): FieldStatement | null {
  const head = ENUM_HEAD.exec(sentence);
  if (head === null) return null;
  const rest = sentence.slice(head.index + head[0].length);
  const span = /^[\w ,-]*/.exec(rest)![0];
  // The list ends with the item after its first "or"/"and".
  const join = /,? (?:or|and) (?=[\w -])/.exec(span);
  if (join === null) return null;
  const afterJoin = span.slice(join.index + join[0].length);
  const lastEnd = afterJoin.indexOf(',');
  const list = span.slice(0, join.index + join[0].length + (lastEnd === -1 ? afterJoin.length : lastEnd));
  const values = list
    .split(/,\s*|\s+(?:or|and)\s+/)
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  if (values.length < 2 || !values.every((v) => v.split(' ').length <= 3)) return null;
  return { entity: head[1] ?? null, field: head[2]!, enumValues: values };
}

/** A count in the text: digits ("3", "1,000") or number words ("three", "twenty-five"). */
function countValue(t: Tok): number | null {
  const digits = t.norm.replaceAll(',', '');
  if (/^\d+(\.\d+)?$/.test(digits)) return t.tags.has('Value') ? Number(digits) : null;
  let sum = 0;
  for (const part of t.norm.split('-')) {
    const n = NUMBER_WORDS[part];
    if (n === undefined) return null;
    sum += n;
  }
  return sum;
}

const MAX_BEFORE =
  /(?:^| )(?:at most|no more than|not more than|up to|maximum of|maximum|max|only|no|not exceed|never exceed|cannot exceed|no more|not to exceed)$/;
const MIN_BEFORE =
  /(?:^| )(?:at least|minimum of|minimum|min|no fewer than|no less than|not fewer than|not less than)$/;

/**
 * Whether the words before a count bound it from above or below: "at most 3", "may not hold more
 * than 3", "must not exceed 3", "cannot have fewer than 2". A comparative counts as a bound only
 * when negated, since "more than 3 items get a discount" states no limit.
 */
function boundBefore(ts: Tok[], i: number): RuleFact['type'] | null {
  const before = ts
    .slice(Math.max(0, i - 3), i)
    .map((x) => x.norm)
    .join(' ');
  if (MAX_BEFORE.test(before)) return 'max_count';
  if (MIN_BEFORE.test(before)) return 'min_count';
  const last = ts[i - 1]?.norm;
  const comparative =
    last === 'exceed' || last === 'exceeds' || last === 'over' ? 1 : ts[i - 1]?.norm === 'than' ? 2 : 0;
  if (comparative === 0) return null;
  const word = comparative === 2 ? ts[i - 2]?.norm : last;
  const negated = ts.slice(Math.max(0, i - comparative - 3), i - comparative).some(isNeg);
  if (!negated) return null;
  if (word === 'more' || word === 'exceed' || word === 'exceeds' || word === 'over') return 'max_count';
  if (word === 'fewer' || word === 'less') return 'min_count';
  return null;
}

/** The noun the sentence is about, before the token at `until`: "A member" in "A member may not …". */
function subjectPhrase(ts: Tok[], until: number): string | null {
  // The clause the count is in: "a booking holds at most four guests, and a guest cannot have …".
  let from = 0;
  for (let k = until - 1; k > 0; k--) {
    if (breaksAfter(ts[k - 1]!)) {
      from = k;
      break;
    }
  }
  for (let k = from; k < until; k++) {
    const t = ts[k]!;
    if (t.tags.has('Determiner') || ['each', 'every', 'and', 'but', 'while'].includes(t.norm)) continue;
    if (!isNounTok(t)) return null;
    const np = nounPhrase(ts, k);
    return np !== null && isEntityLabel(np.label) ? np.label : null;
  }
  return null;
}

/** Index of "with" in "[is|are|…] <participle> [by <noun phrase>] with", from `k`; -1 when not that shape. */
function passiveWithAt(ts: Tok[], k: number): number {
  let j = k;
  let be = false;
  while (j < ts.length && (isAux(ts[j]!) || BE.has(ts[j]!.norm))) {
    be ||= BE.has(ts[j]!.norm) || BE.has(ts[j]!.root);
    j++;
  }
  const verb = ts[j];
  // compromise tags some participles as adjectives ("is registered with").
  const participle =
    verb !== undefined &&
    (verb.tags.has('PastTense') ||
      verb.tags.has('Participle') ||
      (verb.tags.has('Adjective') && /ed$/.test(verb.norm)));
  if (!be || !participle) return -1;
  j++;
  if (ts[j]?.norm === 'by') j = nounPhrase(ts, j + 1)?.end ?? -1;
  return j >= 0 && ts[j]?.norm === 'with' ? j : -1;
}

/** Verbs whose "with" list describes their subject: "members register with a name and an email". */
const SELF_DESCRIBING_VERBS = new Set(['register', 'sign', 'enrol', 'enroll', 'apply', 'join', 'subscribe']);

function rules(ts: Tok[], facts: SentenceFacts): void {
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    const value = countValue(t);
    if (value === null) continue;
    const type = boundBefore(ts, i);
    if (type === null) continue;
    const np = nounPhrase(ts, i + 1);
    if (np === null || TIME_UNITS.has(np.label.split(' ').pop() ?? '')) continue;
    let per: string | null = null;
    const k = np.end;
    if (
      ts[k]?.norm === 'per' ||
      ts[k]?.norm === 'each' ||
      (ts[k]?.norm === 'for' && ts[k + 1]?.norm === 'each')
    ) {
      const p = nounPhrase(ts, ts[k]?.norm === 'for' ? k + 2 : k + 1);
      if (p !== null && !TIME_UNITS.has(p.label)) per = p.label;
    }
    const act = facts.actions.find((a) => a.action !== 'auth');
    if (per === null && act !== undefined) per = act.actor;
    // "A member may not hold more than 3 books": the bound is per the sentence's subject.
    if (per === null) {
      const subject = subjectPhrase(ts, i);
      if (subject !== null && subject !== np.label) per = subject;
    }
    facts.rules.push({
      type,
      value,
      entity: np.label,
      per,
      action: act?.action ?? null,
      field: null,
    });
  }
  const s = facts.source.toLowerCase();
  const val =
    /\b([a-z]+) (?:must|should|has to|shall) be (positive|non-negative|greater than|more than|at least|less than|at most|no more than|below|above)(?: (\d+(?:\.\d+)?))?/.exec(
      s,
    );
  if (val !== null) {
    const word = val[2]!;
    const min = ['positive', 'non-negative', 'greater than', 'more than', 'at least', 'above'].includes(word);
    const value = val[3] !== undefined ? Number(val[3]) : 0;
    facts.rules.push({
      type: min ? 'min_value' : 'max_value',
      value,
      entity: null,
      per: null,
      action: null,
      field: val[1]!,
    });
  }
}
