import { describe, expect, it } from 'vitest';
import { chineseNumberAt, englishNumberAt } from '../shared/quantities.js';
import { analyzeRequirements } from './analyze.js';

const rules = (text: string) =>
  analyzeRequirements({ text }).requirements.flatMap((r) => (r.rule === undefined ? [] : [r.rule]));

describe('numbers as written', () => {
  it('reads English number words', () => {
    const at = (s: string) => englishNumberAt(s.split(' '), 0)?.value ?? null;
    expect(at('three')).toBe(3);
    expect(at('twenty')).toBe(20);
    expect(at('twenty five')).toBe(25);
    expect(at('two hundred and fifty')).toBe(250);
    expect(at('10,000')).toBe(10_000);
    expect(at('a')).toBeNull();
  });

  it('reads Chinese numerals', () => {
    const at = (s: string) => chineseNumberAt(s, 0)?.value ?? null;
    expect(at('三')).toBe(3);
    expect(at('十二')).toBe(12);
    expect(at('二十')).toBe(20);
    expect(at('二十五')).toBe(25);
    expect(at('两百')).toBe(200);
    expect(at('一万')).toBe(10_000);
    expect(at('3万')).toBe(30_000);
    expect(at('书')).toBeNull();
  });
});

describe('bounds in paraphrase', () => {
  it.each([
    ['A driver may not hold more than 2 vans at once.', 'max_count', 2, 'Van', 'Driver'],
    ['A driver must not exceed four trips.', 'max_count', 4, 'Trip', 'Driver'],
    ['A driver cannot have more than twelve trips.', 'max_count', 12, 'Trip', 'Driver'],
    ['Each driver can take no more than 3 vans.', 'max_count', 3, 'Van', 'Driver'],
    ['A depot holds up to forty vans.', 'max_count', 40, 'Van', 'Depot'],
    ['A route has at most 9 stops.', 'max_count', 9, 'Stop', 'Route'],
    ['A club allows a maximum of 30 players per team.', 'max_count', 30, 'Player', 'Team'],
    ['A team needs at least eleven players.', 'min_count', 11, 'Player', 'Team'],
  ])('%s', (text, type, value, entity, per) => {
    expect(rules(text)).toContainEqual(expect.objectContaining({ type, value, entity, per }));
  });

  it('reads several bounds of one sentence, and value bounds of a field', () => {
    const found = rules(
      'A parcel has a weight of at least 1 and at most 30, and a courier carries up to five parcels.',
    );
    expect(found).toContainEqual(expect.objectContaining({ type: 'min_value', value: 1, field: 'weight' }));
    expect(found).toContainEqual(expect.objectContaining({ type: 'max_value', value: 30, field: 'weight' }));
    expect(found).toContainEqual(expect.objectContaining({ type: 'max_count', value: 5, entity: 'Parcel' }));
  });

  it('does not read a bound where there is none', () => {
    expect(rules('Drivers carry more than parcels.')).toEqual([]);
    expect(rules('A driver has 3 vans.')).toEqual([]);
  });

  it.each([
    ['每位司机最多驾驶两辆货车。', 'max_count', 2],
    ['每条路线不得多于十二个站点。', 'max_count', 12],
    ['每个球队至少二十名球员。', 'min_count', 20],
    ['每个仓库不少于三位管理员。', 'min_count', 3],
    ['包裹的重量不能超过30公斤。', 'max_value', 30],
  ])('%s', (text, type, value) => {
    expect(rules(text)).toContainEqual(expect.objectContaining({ type, value }));
  });
});

describe('adversarial input stays linear', () => {
  it('analyses bound-laden text in time proportional to its length', () => {
    const unit =
      'A member may not hold no more than at most up to a maximum of at least three twenty 5 books per each member, and not more than. 每位会员最多不能超过不得多于至少三十二本二十五个书。';
    const time = (n: number) => {
      const text = unit.repeat(n);
      const t0 = performance.now();
      analyzeRequirements({ text });
      return performance.now() - t0;
    };
    time(5);
    const small = time(40);
    const large = time(160);
    // Four times the text may take at most about four times as long (slack for noise), never quadratic.
    expect(large).toBeLessThan(Math.max(small, 50) * 8);
  });
});
