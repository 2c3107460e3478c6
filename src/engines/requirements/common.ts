import type { SentenceFacts } from './facts.js';
import { TECH_HINTS } from './lexicon.js';

/** Facts found the same way in every language. */
export function commonFacts(sentence: string, facts: SentenceFacts): void {
  for (const [re, hint] of TECH_HINTS) if (re.test(sentence)) facts.techHints.push(hint);
}
