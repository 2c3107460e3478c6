import type { BoundRule, EffectRule, FieldType, HoldRule, Priority } from '../../contracts/requirements.js';

/**
 * What a language module found in one sentence, before any spec is built. Words are kept as
 * labels (singular, as written); `naming.ts` turns them into identifiers. English and Chinese
 * extraction produce this same shape, so the spec building is written once.
 */

export type Lang = 'en' | 'zh';

export interface ActionFact {
  actor: string | null;
  /** Verb as written (lemma for English), e.g. "borrow" or "借阅". */
  verb: string;
  /** create | read | list | update | delete | search | manage | auth | custom verb identifier */
  action: string;
  object: string | null;
  negated: boolean;
}

export interface FieldMention {
  label: string;
  unique: boolean;
  /** null when the text does not say. */
  required: boolean | null;
  enumValues?: string[];
  type?: FieldType;
  /** "many items", "多个订单": a collection, so a relation if it names an entity. */
  many: boolean;
}

export interface FieldFact {
  entity: string;
  fields: FieldMention[];
}

export interface RelationFact {
  from: string;
  to: string;
  kind: 'one_to_many' | 'many_to_one' | 'many_to_many' | 'one_to_one';
  verb?: string;
}

export interface RuleFact extends Omit<BoundRule, 'entity' | 'per'> {
  /** Labels, resolved to entity names when the spec is built. */
  entity: string | null;
  per: string | null;
}

/** An effect as written: entity, target and fields are labels ("sale", "product", "stock", "quantity"). */
export type EffectFact = EffectRule;

/** A hold as written: `entity` is a label ("car"), `take`/`release` verbs as identifiers or Chinese words. */
export type HoldFact = HoldRule;

export interface NfrFact {
  category: string;
  metric: string;
  op: '<' | '<=' | '>' | '>=' | '==';
  value: number;
  unit: string;
  /** The phrase that gave the target, e.g. "within 200 ms". */
  phrase: string;
}

/** A quality named without a number ("secure", "易用"). */
export interface NfrMention {
  category: string;
  phrase: string;
}

/** A field property stated on its own: "price is a number", "ISBN must be unique". */
export interface FieldStatement {
  entity: string | null;
  field: string;
  type?: FieldType;
  unique?: boolean;
  enumValues?: string[];
}

export interface SentenceFacts {
  source: string;
  lang: Lang;
  priority: Priority | null;
  actions: ActionFact[];
  fields: FieldFact[];
  fieldStatements: FieldStatement[];
  relations: RelationFact[];
  rules: RuleFact[];
  /** Effects and holds: rules that change or lock another record. */
  behaviours: (EffectFact | HoldFact)[];
  nfrs: NfrFact[];
  nfrMentions: NfrMention[];
  techHints: string[];
  actors: string[];
  /** "so that …" purpose, kept for user stories. */
  benefit: string | null;
  /** Open questions this sentence raised, each `[category] …`. */
  questions: string[];
  /** Sentence was not analysed (prompt-like, too long): it counts as unmapped. */
  skipped: boolean;
  /** The opening sentence names the product ("LibraryHub is a library service."): understood, it gives `projectName`. */
  namesProject?: boolean;
}

export function emptyFacts(source: string, lang: Lang): SentenceFacts {
  return {
    source,
    lang,
    priority: null,
    actions: [],
    fields: [],
    fieldStatements: [],
    relations: [],
    rules: [],
    behaviours: [],
    nfrs: [],
    nfrMentions: [],
    techHints: [],
    actors: [],
    benefit: null,
    questions: [],
    skipped: false,
  };
}
