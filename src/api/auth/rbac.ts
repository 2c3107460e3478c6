import type { UserRole } from '../../contracts/models.js';

/**
 * THE permission table: every route names one permission, and only this table says which roles hold
 * it. Deciding a gate belongs to reviewers and admins alone (a maintainer starts runs, but does not
 * approve their own work).
 */
export const PERMISSIONS = {
  'projects:read': ['admin', 'maintainer', 'reviewer', 'viewer'],
  'projects:write': ['admin', 'maintainer'],
  'runs:read': ['admin', 'maintainer', 'reviewer', 'viewer'],
  'runs:write': ['admin', 'maintainer'],
  'gates:decide': ['admin', 'reviewer'],
  // Automatic gate policies skip every review at once, so only an admin may ask for them.
  'gates:auto': ['admin'],
  'deployments:read': ['admin', 'maintainer', 'reviewer', 'viewer'],
  'deployments:write': ['admin', 'maintainer'],
  'engines:read': ['admin', 'maintainer', 'reviewer', 'viewer'],
  'metrics:read': ['admin', 'maintainer', 'reviewer', 'viewer'],
  'tokens:own': ['admin', 'maintainer', 'reviewer', 'viewer'],
  'users:manage': ['admin'],
  'audit:read': ['admin', 'maintainer'],
  'mcp:use': ['admin', 'maintainer', 'reviewer'],
} as const satisfies Record<string, readonly UserRole[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: UserRole, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly UserRole[]).includes(role);
}

/** The gates a set of run policies would pass without a person. */
export function autoGatesOf(policies: Partial<Record<string, string>> | undefined): string[] {
  return Object.entries(policies ?? {})
    .filter(([, policy]) => policy === 'auto')
    .map(([gate]) => gate);
}

export function permissionsOf(role: UserRole): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can(role, p));
}
