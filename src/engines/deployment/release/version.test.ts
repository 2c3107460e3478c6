import { describe, expect, it } from 'vitest';
import { decideBump, parseSemver } from './version.js';

describe('release version', () => {
  const prev = parseSemver('v1.4.2');
  it('starts at 1.0.0', () => {
    expect(decideBump(null, { commits: ['coding: x'], newRequirementIds: [] })).toEqual({
      version: '1.0.0',
      bump: 'initial',
    });
  });
  it('bumps minor for new requirements or feature commits, patch for fixes, nothing without changes', () => {
    expect(decideBump(prev, { commits: [], newRequirementIds: ['REQ-009'] })).toEqual({
      version: '1.5.0',
      bump: 'minor',
    });
    expect(decideBump(prev, { commits: ['feat: search'], newRequirementIds: [] }).version).toBe('1.5.0');
    expect(
      decideBump(prev, { commits: ['fix-2: run r step fix-2 attempt 1'], newRequirementIds: [] }),
    ).toEqual({
      version: '1.4.3',
      bump: 'patch',
    });
    expect(decideBump(prev, { commits: [], newRequirementIds: [] })).toEqual({
      version: '1.4.2',
      bump: 'none',
    });
  });
});
