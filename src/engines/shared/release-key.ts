/** How a local-process supervisor names a release, and the version read back from that name. */

/**
 * The supervisor knows a release as `VERSION+DIGEST12` (semver build metadata): two workspaces of
 * one service can both make a 1.0.0, and they must not be taken for the same release.
 */
export function releaseKey(version: string, sha256: string): string {
  return `${version}+${sha256.slice(0, 12)}`;
}

export function versionOf(key: string | null): string | null {
  return key === null ? null : (key.split('+')[0] ?? key);
}
