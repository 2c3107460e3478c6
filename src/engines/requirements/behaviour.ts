import nlp from 'compromise';
import type { EffectFact, FieldFact, HoldFact, Lang, RuleFact } from './facts.js';
import { ZH_EN_WORDS, ZH_VERB_ACTIONS } from './lexicon.js';

/**
 * Sentences that say what an action does to other records, beyond creating its own: effects
 * ("a sale lowers the product's stock by its quantity"), the bounds that guard them ("a sale larger
 * than the stock is refused") and exclusive holds ("a rented car cannot be rented again until it is
 * returned"). Every pattern is anchored and its repetitions bounded: linear in the sentence length.
 */
export interface Behaviour {
  behaviours: (EffectFact | HoldFact)[];
  /** Bounds a sentence puts on a target field (`min_value 0` on `stock`). */
  guards: RuleFact[];
  /** Fields the behaviour implies: the target's numeric field, the record's amount and its reference. */
  fields: FieldFact[];
}

const W = '[a-z]+(?:[ -][a-z]+){0,2}';
const LEAD =
  '(?:(?:recording|placing|making|creating|adding|registering|entering|logging|booking|submitting|each|every|a|an|the|any|new)\\s+){0,3}';
const LOWER = 'lowers|reduces|decreases|decrements|cuts|depletes|subtracts from|deducts from|takes from';
const RAISE = 'raises|increases|increments|adds to|tops up|replenishes|restocks';
// "the product's stock" or "the stock of the product"
const OWNED = `(?:the\\s+|its\\s+|their\\s+)?(?:(${W})'s\\s+(${W})|(${W})\\s+of\\s+(?:the\\s+|its\\s+|their\\s+)?(${W}))`;
const BY = `(?:\\s+by\\s+(?:the\\s+|its\\s+|their\\s+)?(?:(?:${W})'s\\s+)?(${W}))?`;
const EFFECT_EN = new RegExp(
  `^${LEAD}(${W})\\s+(?:(?:always|automatically|immediately)\\s+)?(${LOWER}|${RAISE})\\s+${OWNED}${BY}$`,
);
const EFFECT_EN_PASSIVE = new RegExp(
  `^(?:when|whenever|each time|every time|once|after)\\s+(?:a|an|the)\\s+(${W})\\s+is\\s+[a-z]+,?\\s+${OWNED}\\s+(?:is|gets|goes)\\s+(reduced|lowered|decreased|decremented|down|increased|raised|incremented|up)${BY}$`,
);
const REFUSED = '(?:refused|rejected|declined|denied|blocked|not allowed|forbidden|not accepted)';
const BE = '(?:is|are|must be|will be|should be|shall be|gets|get)';
const GUARD_EN_LARGER = new RegExp(
  `^(?:a|an|any|each|every)\\s+(${W})\\s+(?:(?:that is|which is|for)\\s+)?(?:larger|greater|bigger|more)\\s+than\\s+(?:the\\s+|its\\s+)?(?:(?:available|current|remaining)\\s+)?(?:(${W})'s\\s+)?(${W})(?:\\s+(?:available|left|on hand|in stock))?\\s+${BE}\\s+${REFUSED}$`,
);
const GUARD_EN_EXCEED = new RegExp(
  `^(?:(?:a|an|no|each|every|the)\\s+)?(${W})\\s+(?:cannot|can't|can not|may not|must not|can never|should not|must never|may|can)\\s+(?:exceed|be (?:larger|greater|bigger|more) than)\\s+(?:the\\s+|its\\s+)?(?:(?:available|current|remaining)\\s+)?(?:(${W})'s\\s+)?(${W})(?:\\s+(?:available|left|on hand|in stock))?$`,
);
const GUARD_EN_NEGATIVE = new RegExp(
  `^(?:the\\s+|a\\s+|an\\s+)?(?:(${W})'s\\s+)?(${W})(?:\\s+of\\s+(?:a|an|the)\\s+(${W}))?\\s+(?:can never|can't|cannot|can not|must not|must never|may not|may never|should never|should not|never|will never)\\s+(?:go|fall|drop|become|be)\\s+(?:below zero|negative|less than zero|under zero|below 0|under 0)$`,
);
const HELD_STATE =
  'out on (?:rental|loan|hire)|on loan|rented(?: out)?|lent(?: out)?|borrowed|booked|reserved|checked out|taken|hired(?: out)?|in use|assigned';
const HOLD_EN = new RegExp(
  `^(?:a|an|the|any)\\s+(?:(?:${HELD_STATE})\\s+)?([a-z]+)\\s+(?:(?:that is|which is|that has been|already|still)\\s+)?(?:(?:${HELD_STATE})\\s+)?(?:cannot|can't|can not|may not|must not|should not|will not|won't)\\s+be\\s+([a-z]+)(?:\\s+(?:out|again|twice))?(?:\\s+by\\s+(?:anyone|someone|another\\s+[a-z]+)(?:\\s+else)?)?\\s+(?:until|unless|before)\\s+(?:it|they)\\s+(?:is|are|has been|have been|gets|get|was)\\s+([a-z]+)(?:\\s+(?:back|again))?$`,
);

const HAN = '[\\u4e00-\\u9fff]';
const EFFECT_ZH = new RegExp(
  `^(?:每(?:笔|次|个|张|份|单)|一(?:笔|次|个))?(${HAN}{1,4}?)(?:会|将|都会|都|均)?(?:按|按照|根据)(?:其|该|它的)?(?:${HAN}{1,4}?的)?(${HAN}{1,4}?)(减少|扣减|扣除|降低|增加|提高|增添)(?:对应|相应|所属)?的?(${HAN}{1,4}?)的(${HAN}{1,4})$`,
);
const GUARD_ZH_OVER = new RegExp(
  `^(?:(${HAN}{1,4}?)的?)?数量(?:超过|大于|多于|超出)(?:(${HAN}{1,4}?)的)?(?:当前|现有|剩余)?(${HAN}{1,4}?)(?:时|的)?[,，]?(?:必须|应|应该|应当|将|会|要)?被?(?:拒绝|不允许|禁止|驳回)`,
);
const GUARD_ZH_NEGATIVE = new RegExp(
  `^(?:(${HAN}{1,4}?)的)?(${HAN}{1,4}?)(?:不能|不可以|不得|不允许|不可)(?:为负|小于零|小于0|低于零|低于0|是负数|为负数)`,
);
const HOLD_ZH = new RegExp(
  `^已被?(${HAN}{1,2}?)(?:出|走)?的(${HAN}{1,4}?)在被?(${HAN}{1,2})(?:之前|以前|前)(?:不能|不可以|不得|无法|不可)(?:再次|再)?被?(${HAN}{1,2})$`,
);

const EN_LOWER = new Set(LOWER.split('|'));
const EN_DOWN = new Set(['reduced', 'lowered', 'decreased', 'decremented', 'down']);

function sentenceOf(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[.!;:]+$/, '')
    .replace(/’/g, "'")
    .replace(/\s+/g, ' ');
}

/** The verb's base form: "rented" -> "rent", "returned" -> "return". */
function lemma(word: string): string {
  const base = nlp(word).verbs().toInfinitive().text().trim().toLowerCase();
  return /^[a-z]+$/.test(base) ? base : word;
}

function zhVerb(word: string): string {
  return ZH_VERB_ACTIONS[word] ?? ZH_EN_WORDS[word] ?? word;
}

function empty(): Behaviour {
  return { behaviours: [], guards: [], fields: [] };
}

function effect(
  record: string,
  target: string,
  field: string,
  amount: string | null,
  down: boolean,
): Behaviour {
  const found = empty();
  found.behaviours.push({
    type: 'effect',
    entity: record,
    action: 'create',
    target,
    field,
    change: down ? 'decrease' : 'increase',
    amount,
  });
  found.fields.push({
    entity: target,
    fields: [{ label: field, unique: false, required: null, many: false }],
  });
  found.fields.push({
    entity: record,
    fields: [
      { label: target, unique: false, required: true, many: false },
      ...(amount === null ? [] : [{ label: amount, unique: false, required: true, many: false }]),
    ],
  });
  return found;
}

function guard(field: string, owner: string | null): Behaviour {
  const found = empty();
  found.guards.push({ type: 'min_value', value: 0, entity: owner, per: null, action: null, field });
  return found;
}

function english(text: string): Behaviour | null {
  const s = sentenceOf(text);
  let m = EFFECT_EN.exec(s);
  if (m !== null) {
    const target = m[3] ?? m[6]!;
    const field = m[4] ?? m[5]!;
    return effect(m[1]!, target, field, m[7] ?? null, EN_LOWER.has(m[2]!));
  }
  m = EFFECT_EN_PASSIVE.exec(s);
  if (m !== null) {
    const target = m[2] ?? m[5]!;
    const field = m[3] ?? m[4]!;
    return effect(m[1]!, target, field, m[7] ?? null, EN_DOWN.has(m[6]!));
  }
  m = GUARD_EN_LARGER.exec(s) ?? GUARD_EN_EXCEED.exec(s);
  if (m !== null) return guard(m[3]!, m[2] ?? null);
  m = GUARD_EN_NEGATIVE.exec(s);
  if (m !== null) return guard(m[2]!, m[1] ?? m[3] ?? null);
  m = HOLD_EN.exec(s);
  if (m !== null) {
    const found = empty();
    found.behaviours.push({ type: 'exclusive', entity: m[1]!, take: lemma(m[2]!), release: lemma(m[3]!) });
    return found;
  }
  return null;
}

function chinese(text: string): Behaviour | null {
  const s = text.trim().replace(/[。！!；;]+$/, '');
  let m = EFFECT_ZH.exec(s);
  if (m !== null) return effect(m[1]!, m[4]!, m[5]!, m[2]!, /减|扣|降/.test(m[3]!));
  m = GUARD_ZH_OVER.exec(s);
  if (m !== null) return guard(m[3]!, m[2] ?? null);
  m = GUARD_ZH_NEGATIVE.exec(s);
  if (m !== null) return guard(m[2]!, m[1] ?? null);
  m = HOLD_ZH.exec(s);
  if (m !== null) {
    const found = empty();
    found.behaviours.push({ type: 'exclusive', entity: m[2]!, take: zhVerb(m[4]!), release: zhVerb(m[3]!) });
    return found;
  }
  return null;
}

/** The behaviour a sentence states, or null when it states none of these. */
export function behaviourOf(sentence: string, lang: Lang): Behaviour | null {
  // Longer sentences are left to the general analysis: these patterns describe one rule each.
  if (sentence.length > 300) return null;
  return lang === 'zh' ? chinese(sentence) : english(sentence);
}
