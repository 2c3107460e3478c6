import type { VersionBump } from '../../../contracts/deployment.js';

export interface Semver {
  major: number;
  minor: number;
  patch: number;
}

export function parseSemver(text: string): Semver | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  if (m === null) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function formatSemver(v: Semver): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

export function compareSemver(a: Semver, b: Semver): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export interface ChangeSummary {
  /** Subjects of commits since the previous tag that changed the product (not release or stage files). */
  commits: string[];
  /** Requirement ids in this spec and not in the previous release. */
  newRequirementIds: string[];
}

// Pipeline stage commits are `STEP: run …`; hand-written ones may use conventional prefixes.
const FEATURE = /^(feat|feature|requirements|architecture|coding|code_generate)\b|^add\b/i;
const FIX = /^(fix|fix-\d+|code_fix|bugfix|hotfix)\b/i;

/** Chooses the bump: first release 1.0.0; new requirements or features minor; anything else patch. */
export function decideBump(
  previous: Semver | null,
  changes: ChangeSummary,
): { version: string; bump: VersionBump } {
  if (previous === null) return { version: '1.0.0', bump: 'initial' };
  const feature = changes.newRequirementIds.length > 0 || changes.commits.some((c) => FEATURE.test(c));
  if (feature)
    return { version: formatSemver({ ...previous, minor: previous.minor + 1, patch: 0 }), bump: 'minor' };
  if (changes.commits.length > 0 || changes.commits.some((c) => FIX.test(c))) {
    return { version: formatSemver({ ...previous, patch: previous.patch + 1 }), bump: 'patch' };
  }
  return { version: formatSemver(previous), bump: 'none' };
}
