import { behaviourOf } from './behaviour.js';
import { extractChinese } from './chinese.js';
import { extractEnglish } from './english.js';
import type { Lang, SentenceFacts } from './facts.js';
import { languageOf, prepare } from './text.js';

export interface Extracted {
  facts: SentenceFacts[];
  questions: string[];
  language: Lang;
}

/** Cuts text into sentences and runs the language module of each (mixed text works per sentence). */
export function extract(text: string): Extracted {
  const { chunks, questions } = prepare(text);
  const ctx = { lastActor: null as string | null, lastObject: null as string | null };
  const facts: SentenceFacts[] = [];
  let zhChars = 0;
  let enChars = 0;
  for (const c of chunks) {
    const found = c.lang === 'zh' ? [extractChinese(c.text, ctx)] : extractEnglish(c.text, ctx);
    for (const f of found) facts.push(withBehaviour(f));
    if (c.lang === 'zh') zhChars += c.text.length * 3;
    else enChars += c.text.length;
  }
  const first = facts[0];
  if (
    first !== undefined &&
    ((namedProject(first.source, first.lang) !== null && PRODUCT_KIND.test(first.source)) || isTitle(first))
  )
    first.namesProject = true;
  return {
    facts,
    questions,
    language: chunks.length === 0 ? languageOf(text) : zhChars >= enChars ? 'zh' : 'en',
  };
}

/**
 * A sentence that states an effect, a guard or a hold is that rule: its verbs ("lowers", "refused")
 * are not features of their own, and the questions they raised are answered by the rule.
 */
function withBehaviour(facts: SentenceFacts): SentenceFacts {
  const found = facts.skipped ? null : behaviourOf(facts.source, facts.lang);
  if (found === null) return facts;
  return {
    ...facts,
    actions: [],
    rules: found.guards,
    behaviours: found.behaviours,
    fields: [...facts.fields, ...found.fields],
    questions: facts.questions.filter((q) => !/^\[(no_entity|unmapped|no_actor)\]/.test(q)),
  };
}

export function benefitsOf(facts: SentenceFacts[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of facts) if (f.benefit !== null) m.set(f.source, f.benefit);
  return m;
}

const PRODUCT_KIND =
  /\b(app|application|service|system|platform|website|site|portal|tool|game|api|marketplace|shop|store)\b|系统|平台|应用|网站|小程序|服务|工具|商城/i;
const PRONOUN = /^(it|this|that|there|here|he|she|they|we|you|everything|something|nothing)$/i;

/** "LibraryHub is a …" / "图书馆管理系统是一个…": the name a sentence gives the product, or null. */
function namedProject(sentence: string, language: Lang): string | null {
  if (language === 'zh') {
    const named = /^[「“"]?([\p{Script=Han}A-Za-z0-9 ]{2,16}?)[」”"]?(?:是|为)一(?:个|款|套)/u.exec(sentence);
    return named === null ? null : named[1]!.trim();
  }
  const named = /^\s*(?:the\s+)?([A-Z][\w'-]*(?:[ _][A-Z][\w'-]*){0,4})\s+(?:is|will be)\s+an?\b/.exec(
    sentence,
  );
  return named === null || PRONOUN.test(named[1]!) ? null : named[1]!.replaceAll('_', ' ');
}

export function projectNameOf(text: string, language: Lang): string {
  const first = text.trim().split(/\n/)[0] ?? '';
  const named = namedProject(first, language);
  if (named !== null) return named;
  if (language === 'zh') {
    const sys = /([\p{Script=Han}A-Za-z0-9]{2,10}?(?:系统|平台|应用|网站|小程序|服务))/u.exec(first);
    return sys?.[1] ?? '';
  }
  const kind =
    /^\s*(?:an?|the)\s+((?:[a-z-]+\s){0,3}?(?:app|application|service|system|platform|website|game|tool))\b/i.exec(
      first,
    );
  return kind?.[1]?.toLowerCase() ?? '';
}

/**
 * "A library service." / "一个图书馆系统。": an opening phrase that states nothing but what the
 * product is. It names the project; it is accounted for, not an unmapped sentence.
 */
function isTitle(f: SentenceFacts): boolean {
  if (f.actions.length > 0 || f.rules.length > 0 || f.fields.length > 0 || f.nfrs.length > 0) return false;
  const text = f.source.replace(/[。.!！?？]+$/u, '').trim();
  if (f.lang === 'zh')
    return (
      text.length <= 16 &&
      PRODUCT_KIND.test(text) &&
      /^(?:一(?:个|款|套))?[\p{Script=Han}A-Za-z0-9]+$/u.test(text)
    );
  return (
    /^(?:an?|the|our)\s/i.test(text) &&
    text.split(/\s+/).length <= 6 &&
    !/\b(is|are|can|must|should|will|may)\b/i.test(text)
  );
}
