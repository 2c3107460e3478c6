import { formatPatch, structuredPatch } from 'diff';

/** Edit distance (in lines) past which no patch is computed; a large edit is still reviewable version by version. */
export const DIFF_MAX_EDIT_LENGTH = 2000;
export const DIFF_TIMEOUT_MS = 1000;

export interface ArtifactPatch {
  /** Unified diff; empty when `tooLarge`. */
  patch: string;
  tooLarge: boolean;
  added: number;
  removed: number;
}

/**
 * Unified diff of two texts. Myers' diff is quadratic in the edit distance: past the bounds the
 * reviewer gets counts of changed lines instead of a patch, and the API's event loop stays free.
 */
export function artifactDiff(fromName: string, toName: string, left: string, right: string): ArtifactPatch {
  const diff = structuredPatch(fromName, toName, left, right, undefined, undefined, {
    context: 3,
    maxEditLength: DIFF_MAX_EDIT_LENGTH,
    timeout: DIFF_TIMEOUT_MS,
  });
  if (diff === undefined) return { patch: '', tooLarge: true, ...lineCounts(left, right) };
  let added = 0;
  let removed = 0;
  // Hunk lines only: the `+++`/`---` file header is not a change.
  for (const hunk of diff.hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith('+')) added++;
      else if (line.startsWith('-')) removed++;
    }
  }
  return { patch: formatPatch(diff), tooLarge: false, added, removed };
}

/** Lines found on only one side, as multisets: linear, for when the patch itself is too costly. */
function lineCounts(left: string, right: string): { added: number; removed: number } {
  const counts = new Map<string, number>();
  for (const line of left.split('\n')) counts.set(line, (counts.get(line) ?? 0) + 1);
  let added = 0;
  for (const line of right.split('\n')) {
    const n = counts.get(line) ?? 0;
    if (n > 0) counts.set(line, n - 1);
    else added++;
  }
  let removed = 0;
  for (const n of counts.values()) removed += n;
  return { added, removed };
}
