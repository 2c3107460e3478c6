import { pinyin } from 'pinyin-pro';

// A few domain words read better in English than in pinyin; everything else Chinese goes through pinyin.
const ZH_WORDS: Record<string, string> = {
  图书: 'book',
  书籍: 'book',
  书名: 'title',
  书: 'book',
  会员: 'member',
  读者: 'reader',
  用户: 'user',
  借阅: 'loan',
  记录: 'record',
  作者: 'author',
  标题: 'title',
  名称: 'name',
  名字: 'name',
  姓名: 'name',
  邮箱: 'email',
  电话: 'phone',
  价格: 'price',
  数量: 'quantity',
  日期: 'date',
  状态: 'status',
  描述: 'description',
  订单: 'order',
  商品: 'product',
  客户: 'customer',
  任务: 'task',
  编号: 'code',
  库存: 'stock',
  分类: 'category',
};

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally ' +
    'for function if import in instanceof new null return super switch this throw true try typeof var void ' +
    'while with yield let static implements interface package private protected public await async ' +
    'constructor prototype __proto__ toString valueOf hasOwnProperty id createdAt updatedAt any unknown never ' +
    'object string number boolean symbol undefined'
  ).split(' '),
);

/** Splits any name (English, Chinese, mixed, hostile) into lowercase ASCII words. */
export function words(raw: string): string[] {
  let text = raw.normalize('NFKC');
  for (const [zh, en] of Object.entries(ZH_WORDS).sort((a, b) => b[0].length - a[0].length)) {
    text = text.split(zh).join(` ${en} `);
  }
  if (/[\u3400-\u9fff]/.test(text)) {
    text = pinyin(text, { toneType: 'none', type: 'array', nonZh: 'consecutive' }).join(' ');
  }
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0)
    .slice(0, 6);
}

function cap(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** `lowerCamel` identifier, or null when nothing usable is left. */
export function camel(raw: string): string | null {
  const ws = words(raw);
  if (ws.length === 0) return null;
  let id = ws[0] + ws.slice(1).map(cap).join('');
  if (/^[0-9]/.test(id)) id = `n${id}`;
  return id.slice(0, 48);
}

/** Makes identifiers unique within one scope and never reserved. */
export class IdentifierScope {
  private readonly used = new Set<string>();
  constructor(private readonly fallback: string) {}

  take(raw: string): string {
    let base = camel(raw) ?? this.fallback;
    if (RESERVED.has(base)) base = `${base}Value`;
    let id = base;
    for (let n = 2; this.used.has(id.toLowerCase()); n++) id = `${base}${n}`;
    this.used.add(id.toLowerCase());
    return id;
  }
}

export function pascal(id: string): string {
  return cap(id);
}

export function kebab(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** English plural good enough for resource names (book -> books, category -> categories). */
export function plural(id: string): string {
  if (/[^aeiou]y$/.test(id)) return `${id.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(id)) return `${id}es`;
  return `${id}s`;
}

export function singular(word: string): string {
  if (/ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ses|xes|zes|ches|shes)$/.test(word)) return word.slice(0, -2);
  if (/s$/.test(word) && !/ss$/.test(word)) return word.slice(0, -1);
  return word;
}
