import type { Entity, FieldType, Priority, RequirementsSpec } from '../../contracts/requirements.js';
import { camelName } from '../shared/naming.js';
import { applyFacts } from './build.js';
import { benefitsOf, extract } from './extract.js';
import { dictionary, inferFieldType, TYPE_WORDS } from './lexicon.js';

/**
 * Reviewer feedback, merged into the previous spec. One command per line (or per sentence):
 *
 *   add: <requirement text>                      添加：<需求文本>   (新增/增加 also)
 *   change REQ-002 priority to must|should|could|wont       将REQ-002的优先级改为必须|应该|可以|不会
 *   drop REQ-003   (remove/delete)               删除REQ-003   (去掉/移除)
 *   field price [of Book] is a number            字段价格[的类型]是数字   图书的字段价格是数字
 *   remove field notes from Book                 从图书删除字段备注   删除图书的字段备注
 *   add field rating to Book [as number]         给图书添加字段评分[为数字]
 *   field isbn [of Book] is unique               字段ISBN唯一
 *
 * Any other sentence is read as more requirement text. A command that cannot be applied (unknown
 * id, entity or field) becomes an open question `[feedback_unapplied] "…": why`.
 */

const PRIORITY_WORDS: Record<string, Priority> = dictionary({
  must: 'must',
  should: 'should',
  could: 'could',
  wont: 'wont',
  "won't": 'wont',
  必须: 'must',
  应该: 'should',
  可以: 'could',
  不会: 'wont',
});

const TYPES = Object.keys(TYPE_WORDS)
  .sort((a, b) => b.length - a.length)
  .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  .join('|');

const CMD = {
  add: /^(?:add|新增|添加|增加)(?:\s*requirement|需求)?\s*[:：]\s*(.+)$/i,
  priority:
    /^(?:(?:change|set|make)\s+)?(REQ-\d+)(?:'s)?\s+priority\s*(?:to|=|:|is)?\s*(must|should|could|won'?t)\b/i,
  priorityZh:
    /^(?:将|把)?\s*(REQ-\d+)\s*的?\s*优先级\s*(?:改为|设为|改成|设置为|为|是)\s*(必须|应该|可以|不会)/i,
  drop: /^(?:drop|remove|delete|删除|去掉|移除)\s*(REQ-\d+)\s*[.。]?$/i,
  fieldType: new RegExp(
    String.raw`^(?:the\s+)?field\s+([\w -]+?)(?:\s+(?:of|on|in)\s+(\w+))?\s+(?:is|should be|must be)\s+(?:an?\s+)?(${TYPES})\.?$`,
    'i',
  ),
  fieldTypeZh: new RegExp(
    String.raw`^(?:(\S+?)的)?字段\s*(\S+?)\s*(?:的类型)?\s*(?:是|为|改为|应为)\s*(${TYPES})[。.]?$`,
  ),
  fieldUnique:
    /^(?:the\s+)?field\s+([\w -]+?)(?:\s+(?:of|on|in)\s+(\w+))?\s+(?:is|should be|must be)\s+unique\.?$/i,
  fieldUniqueZh: /^(?:(\S+?)的)?字段\s*(\S+?)\s*(?:必须|应该)?\s*(?:唯一|不能重复)[。.]?$/,
  removeField: /^(?:remove|drop|delete)\s+(?:the\s+)?field\s+([\w -]+?)\s+from\s+(\w+)\.?$/i,
  removeFieldZh:
    /^(?:从\s*(\S+?)\s*(?:中)?\s*(?:删除|移除|去掉)\s*字段\s*(\S+?)|(?:删除|移除|去掉)\s*(\S+?)\s*的字段\s*(\S+?))[。.]?$/,
  addField: new RegExp(
    String.raw`^add\s+(?:a\s+)?field\s+([\w -]+?)\s+to\s+(\w+)(?:\s+as\s+(?:an?\s+)?(${TYPES}))?\.?$`,
    'i',
  ),
  addFieldZh: new RegExp(
    String.raw`^(?:给|为)?\s*(\S+?)\s*(?:添加|增加|新增)\s*字段\s*(\S+?)(?:\s*(?:为|是)\s*(${TYPES}))?[。.]?$`,
  ),
};

/** Lines that look like a command but matched none of the forms above. */
const COMMAND_LIKE =
  /^(?:change|set|make|drop|remove|delete|rename|field|add field|将|把|删除|去掉|移除|字段|修改)\b|REQ-\d+/i;

function findEntity(spec: RequirementsSpec, word: string | undefined): Entity | undefined {
  if (word === undefined) return undefined;
  const w = word.trim().toLowerCase();
  return spec.entities.find(
    (e) =>
      e.name.toLowerCase() === w ||
      e.label.toLowerCase() === w ||
      e.name.toLowerCase() === camelName(w).toLowerCase(),
  );
}

function findFieldOwners(
  spec: RequirementsSpec,
  field: string,
  entityWord: string | undefined,
): Entity[] | string {
  const name = camelName(field.trim());
  if (entityWord !== undefined) {
    const e = findEntity(spec, entityWord);
    if (e === undefined) return `no entity "${entityWord}"`;
    return e.fields.some((f) => f.name === name || f.label === field.trim())
      ? [e]
      : `${e.name} has no field "${field}"`;
  }
  const owners = spec.entities.filter((e) =>
    e.fields.some((f) => f.name === name || f.label === field.trim()),
  );
  return owners.length > 0 ? owners : `no entity has a field "${field}"`;
}

function fieldOf(e: Entity, field: string) {
  const name = camelName(field.trim());
  return e.fields.find((f) => f.name === name || f.label === field.trim());
}

export function applyFeedback(spec: RequirementsSpec, feedback: string): { benefits: Map<string, string> } {
  const benefits = new Map<string, string>();
  const free: string[] = [];
  const unapplied = (line: string, why: string) => {
    const q = `[feedback_unapplied] "${line}": ${why}`;
    if (!spec.openQuestions.includes(q)) spec.openQuestions.push(q);
  };
  const lines = feedback
    .normalize('NFKC')
    .split(/\n+|(?<=[;。])|(?<=\.)\s+(?=[A-Za-z])/)
    .map((l) =>
      l
        .trim()
        .replace(/[;。]$/, '')
        .trim(),
    )
    .filter((l) => l.length > 0);

  type Handler = [RegExp[], (m: RegExpExecArray, line: string, zh: boolean) => void];
  const handlers: Handler[] = [
    [[CMD.add], (m) => free.push(m[1]!)],
    [
      [CMD.priority, CMD.priorityZh],
      (m, line) => {
        const req = spec.requirements.find((r) => r.id === m[1]!.toUpperCase());
        const p = PRIORITY_WORDS[m[2]!.toLowerCase()];
        if (req === undefined) unapplied(line, `no requirement ${m[1]}`);
        else if (p !== undefined) req.priority = p;
      },
    ],
    [
      [CMD.drop],
      (m, line) => {
        const id = m[1]!.toUpperCase();
        const before = spec.requirements.length;
        spec.requirements = spec.requirements.filter((r) => r.id !== id);
        if (spec.requirements.length === before) unapplied(line, `no requirement ${id}`);
        spec.nonFunctional = spec.nonFunctional.filter((n) => n.requirementId !== id);
        spec.userStories = spec.userStories.filter((s) => s.requirementId !== id);
      },
    ],
    [
      [CMD.fieldType, CMD.fieldTypeZh],
      (m, line, zh) => {
        const [field, entityWord] = zh ? [m[2]!, m[1]] : [m[1]!, m[2]];
        const type = TYPE_WORDS[m[3]!.toLowerCase()] ?? TYPE_WORDS[m[3]!];
        const owners = findFieldOwners(spec, field, entityWord);
        if (typeof owners === 'string') unapplied(line, owners);
        else if (type === undefined) unapplied(line, 'unknown type');
        else for (const e of owners) setType(fieldOf(e, field), type);
      },
    ],
    [
      [CMD.fieldUnique, CMD.fieldUniqueZh],
      (m, line, zh) => {
        const [field, entityWord] = zh ? [m[2]!, m[1]] : [m[1]!, m[2]];
        const owners = findFieldOwners(spec, field, entityWord);
        if (typeof owners === 'string') unapplied(line, owners);
        else
          for (const e of owners) {
            const f = fieldOf(e, field);
            if (f !== undefined) f.unique = true;
          }
      },
    ],
    [
      [CMD.removeField, CMD.removeFieldZh],
      (m, line, zh) => {
        const [field, entityWord] = zh ? [m[2] ?? m[4]!, m[1] ?? m[3]] : [m[1]!, m[2]];
        const owners = findFieldOwners(spec, field, entityWord);
        if (typeof owners === 'string') unapplied(line, owners);
        else
          for (const e of owners) {
            const f = fieldOf(e, field);
            e.fields = e.fields.filter((x) => x !== f);
          }
      },
    ],
    [
      [CMD.addField, CMD.addFieldZh],
      (m, line, zh) => {
        const [field, entityWord, typeWord] = zh ? [m[2]!, m[1]!, m[3]] : [m[1]!, m[2]!, m[3]];
        const e = findEntity(spec, entityWord);
        const name = camelName(field.trim());
        if (e === undefined) unapplied(line, `no entity "${entityWord}"`);
        else if (name.length === 0) unapplied(line, 'the field name has no letters');
        else if (e.fields.some((f) => f.name === name))
          unapplied(line, `${e.name} already has a field "${field}"`);
        else {
          const type =
            typeWord === undefined
              ? inferFieldType(field)
              : (TYPE_WORDS[typeWord.toLowerCase()] ?? TYPE_WORDS[typeWord] ?? 'string');
          e.fields.push({ name, label: field.trim(), type, required: true, unique: false });
        }
      },
    ],
  ];

  for (const line of lines) {
    let handled = false;
    for (const [forms, apply] of handlers) {
      for (const [k, re] of forms.entries()) {
        const m = re.exec(line);
        if (m === null) continue;
        // The second form of a pair is the Chinese one, with its groups in another order.
        apply(m, line, k === 1);
        handled = true;
        break;
      }
      if (handled) break;
    }
    if (handled) continue;
    if (COMMAND_LIKE.test(line)) {
      unapplied(line, 'not a feedback command this engine understands (see docs/engines/requirements.md)');
    } else {
      free.push(line);
    }
  }
  if (free.length > 0) {
    const ex = extract(free.join('\n'));
    for (const q of ex.questions) if (!spec.openQuestions.includes(q)) spec.openQuestions.push(q);
    applyFacts(spec, ex.facts);
    for (const [k, v] of benefitsOf(ex.facts)) benefits.set(k, v);
  }
  return { benefits };
}

function setType(
  f: { type: FieldType; enumValues?: string[] | undefined } | undefined,
  type: FieldType,
): void {
  if (f === undefined) return;
  f.type = type;
  if (type !== 'enum') delete f.enumValues;
}
