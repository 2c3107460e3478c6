import type { BusinessRule } from './requirements.js';

/**
 * A rule as one sentence, for the requirements gate and the documents: what the reviewer confirms
 * is what the code will check. Names are the spec's identifiers, so the sentence maps onto the API.
 */
export function ruleSentence(rule: BusinessRule, language: 'en' | 'zh'): string {
  const zh = language === 'zh';
  switch (rule.type) {
    case 'effect': {
      const by = rule.amount === null ? (zh ? '1' : 'one') : zh ? `其 ${rule.amount}` : `its ${rule.amount}`;
      if (zh)
        return `每创建一个 ${rule.entity}，${rule.target}.${rule.field} ${rule.change === 'decrease' ? '减少' : '增加'}${by}`;
      return `Each new ${rule.entity} ${rule.change === 'decrease' ? 'lowers' : 'raises'} ${rule.target}.${rule.field} by ${by}`;
    }
    case 'exclusive':
      if (zh)
        return `${rule.entity} 被 ${rule.take} 后${rule.release === null ? '不能再次' : `在 ${rule.release} 之前不能再次`} ${rule.take}`;
      return `A ${rule.entity} that is taken by ${rule.take} cannot be taken again${rule.release === null ? '' : ` until ${rule.release}`}`;
    case 'max_count':
    case 'min_count': {
      const what = rule.entity ?? (zh ? '记录' : 'records');
      const per = rule.per === null ? '' : zh ? `每个 ${rule.per} ` : ` per ${rule.per}`;
      const bound = rule.type === 'max_count' ? (zh ? '最多' : 'at most') : zh ? '至少' : 'at least';
      return zh ? `${per}${bound} ${rule.value} 个 ${what}` : `${bound} ${rule.value} ${what}${per}`;
    }
    default: {
      const field = `${rule.entity === null ? '' : `${rule.entity}.`}${rule.field ?? 'value'}`;
      const op = rule.type === 'min_value' ? '>=' : '<=';
      return `${field} ${op} ${rule.value}`;
    }
  }
}
