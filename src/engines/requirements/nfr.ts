import type { NfrFact, NfrMention } from './facts.js';

/**
 * Non-functional requirements with a number ("within 200 ms", "99.9% available", "每秒1000个请求")
 * and qualities named without one ("secure", "易用"). Works on English and Chinese sentences alike.
 */

const NUM = String.raw`(\d[\d,]*(?:\.\d+)?)`;

function num(s: string): number {
  return Number(s.replaceAll(',', ''));
}

function scale(word: string | undefined): number {
  switch ((word ?? '').toLowerCase()) {
    case 'k':
    case 'thousand':
    case '千':
      return 1_000;
    case 'm':
    case 'million':
    case '百万':
      return 1_000_000;
    case '万':
      return 10_000;
    default:
      return 1;
  }
}

const LATENCY_EN = new RegExp(
  String.raw`\b(within|under|in less than|less than|below|at most|no more than|not exceed(?:ing)?|in)\s+${NUM}\s*(ms|milliseconds?|millis|s|secs?|seconds?)\b`,
  'i',
);
const LATENCY_CONTEXT_EN =
  /\b(respon\w*|latency|load\w*|return\w*|answer\w*|repl\w*|pages?|requests?|api|search\w*|render\w*|process\w*|fast|quick\w*)\b/i;
const LATENCY_ZH = new RegExp(
  String.raw`(?:(不超过|小于|低于|少于)\s*${NUM}\s*(毫秒|ms|秒|s)|${NUM}\s*(毫秒|ms|秒|s)\s*(?:内|以内|之内))`,
  'i',
);
const PERCENTILE = /\bp(50|75|90|95|99)\b|\b(50|75|90|95|99)(?:th)?[- ]percentile\b/i;

const AVAILABILITY_NUM = new RegExp(String.raw`${NUM}\s*%`);
const AVAILABILITY_CONTEXT = /availab|uptime|up time|可用/i;

const USERS_EN = new RegExp(
  String.raw`${NUM}\s*(k|thousand|million|m)?\+?\s+(?:concurrent|simultaneous|active|online)?\s*users\b`,
  'i',
);
const USERS_CONTEXT_EN = /\b(concurrent|simultaneous|support\w*|handle\w*|serve\w*|scale\w*|up to)\b/i;
const USERS_ZH = new RegExp(
  String.raw`${NUM}\s*(万|千|百万)?\s*(?:个|名|位)?\s*(?:并发|同时在线|在线)\s*用户|支持\s*${NUM}\s*(万|千)?\s*(?:个|名|位)?\s*用户`,
);

const THROUGHPUT_EN = new RegExp(
  String.raw`${NUM}\s*(k|thousand)?\s*(requests?|orders?|transactions?|messages?|events?|reqs?|calls?)\s*(?:per|\/|a|each)\s*(second|sec|s|minute|min)\b`,
  'i',
);
const THROUGHPUT_ABBR = new RegExp(String.raw`${NUM}\s*(k)?\s*(rps|qps|tps)\b`, 'i');
const THROUGHPUT_ZH = new RegExp(
  String.raw`每(秒|分钟)\s*(?:处理)?\s*${NUM}\s*(万|千)?\s*(?:个|次|笔)?\s*(?:请求|订单|交易|消息)?`,
);

const ERROR_RATE = new RegExp(
  String.raw`(?:error rate|错误率|失败率)\s*(?:below|under|less than|of less than|<|低于|小于|不超过)\s*${NUM}\s*%`,
  'i',
);

const MENTIONS: Array<[string, RegExp]> = [
  ['security', /\b(secure|security|encrypt\w*|gdpr|hipaa|pci|privacy)\b|安全|加密|隐私/i],
  [
    'performance',
    /\b(fast(?!-paced)|quick(ly)?|performant|high[- ]performance|low latency)\b|快速|高性能|流畅/i,
  ],
  ['availability', /\b(highly available|high availability|24\/7|always available|uptime)\b|高可用|全天候/i],
  ['scalability', /\b(scalable|scalability|scale)\b|可扩展|扩展性|高并发/i],
  [
    'usability',
    /\b(user[- ]friendly|intuitive|easy[- ]to[- ]use|simple to use|accessible|accessibility)\b|易用|友好|直观/i,
  ],
];

export function extractNfrs(sentence: string): { nfrs: NfrFact[]; mentions: NfrMention[] } {
  const nfrs: NfrFact[] = [];
  const lat = LATENCY_EN.exec(sentence);
  const latZh = LATENCY_ZH.exec(sentence);
  if ((lat !== null && LATENCY_CONTEXT_EN.test(sentence)) || latZh !== null) {
    let value: number;
    let unit: string;
    let phrase: string;
    if (lat !== null && LATENCY_CONTEXT_EN.test(sentence)) {
      value = num(lat[2]!);
      unit = lat[3]!.toLowerCase();
      phrase = lat[0];
    } else {
      const m = latZh!;
      value = num(m[2] ?? m[4]!);
      unit = (m[3] ?? m[5]!).toLowerCase();
      phrase = m[0];
    }
    const ms = unit.startsWith('ms') || unit.startsWith('milli') || unit === '毫秒' ? value : value * 1000;
    const pct = PERCENTILE.exec(sentence);
    const p = pct === null ? '95' : (pct[1] ?? pct[2]!);
    nfrs.push({ category: 'performance', metric: `latency_p${p}`, op: '<=', value: ms, unit: 'ms', phrase });
  }
  const avail = AVAILABILITY_NUM.exec(sentence);
  if (avail !== null && AVAILABILITY_CONTEXT.test(sentence)) {
    const v = num(avail[1]!);
    if (v > 0 && v <= 100) {
      nfrs.push({
        category: 'availability',
        metric: 'availability',
        op: '>=',
        value: v,
        unit: '%',
        phrase: avail[0],
      });
    }
  }
  const users = USERS_EN.exec(sentence);
  const usersZh = USERS_ZH.exec(sentence);
  if (users !== null && USERS_CONTEXT_EN.test(sentence)) {
    const v = num(users[1]!) * scale(users[2]);
    nfrs.push({
      category: 'scalability',
      metric: 'concurrent_users',
      op: '>=',
      value: v,
      unit: 'users',
      phrase: users[0],
    });
  } else if (usersZh !== null) {
    const v = num(usersZh[1] ?? usersZh[3]!) * scale(usersZh[2] ?? usersZh[4]);
    nfrs.push({
      category: 'scalability',
      metric: 'concurrent_users',
      op: '>=',
      value: v,
      unit: 'users',
      phrase: usersZh[0],
    });
  }
  const tp = THROUGHPUT_EN.exec(sentence);
  const tpAbbr = THROUGHPUT_ABBR.exec(sentence);
  const tpZh = THROUGHPUT_ZH.exec(sentence);
  if (tp !== null) {
    const perMinute = tp[4]!.toLowerCase().startsWith('min');
    const v = (num(tp[1]!) * scale(tp[2])) / (perMinute ? 60 : 1);
    nfrs.push({
      category: 'performance',
      metric: 'throughput',
      op: '>=',
      value: round(v),
      unit: 'req/s',
      phrase: tp[0],
    });
  } else if (tpAbbr !== null) {
    const v = num(tpAbbr[1]!) * scale(tpAbbr[2]);
    nfrs.push({
      category: 'performance',
      metric: 'throughput',
      op: '>=',
      value: v,
      unit: 'req/s',
      phrase: tpAbbr[0],
    });
  } else if (tpZh !== null) {
    const v = (num(tpZh[2]!) * scale(tpZh[3])) / (tpZh[1] === '分钟' ? 60 : 1);
    nfrs.push({
      category: 'performance',
      metric: 'throughput',
      op: '>=',
      value: round(v),
      unit: 'req/s',
      phrase: tpZh[0],
    });
  }
  const err = ERROR_RATE.exec(sentence);
  if (err !== null) {
    nfrs.push({
      category: 'reliability',
      metric: 'error_rate',
      op: '<',
      value: num(err[1]!),
      unit: '%',
      phrase: err[0],
    });
  }

  const mentions: NfrMention[] = [];
  const measured = new Set(nfrs.map((n) => n.category));
  for (const [category, re] of MENTIONS) {
    const m = re.exec(sentence);
    if (m !== null && !measured.has(category)) mentions.push({ category, phrase: m[0] });
  }
  return { nfrs, mentions };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
