/** Names that may carry credentials; never passed into a sandbox, whatever the allow-list says. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION/i;

/** Variables a generated program may see from the parent; everything else is dropped. */
const ALLOWED = ['LANG', 'LC_ALL', 'TZ', 'TERM', 'NODE_ENV'];

/** A fixed PATH: the parent's may point into the orchestrator's own tool folders. */
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SandboxEnv {
  env: Record<string, string>;
  /** Names (never values) of parent variables that were withheld; used to explain failures. */
  withheld: string[];
}

/**
 * Builds the child's environment from an allow-list. `extra` comes from the caller (PORT, HOME…)
 * and is still checked against the secret pattern, so a caller cannot leak a token by accident.
 */
export function sandboxEnv(parent: NodeJS.ProcessEnv, extra: Record<string, string>): SandboxEnv {
  const env: Record<string, string> = {};
  const withheld: string[] = [];
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    if (ALLOWED.includes(name) && !SECRET_NAME.test(name)) env[name] = value;
    else withheld.push(name);
  }
  for (const [name, value] of Object.entries(extra)) {
    if (SECRET_NAME.test(name)) {
      withheld.push(name);
      continue;
    }
    env[name] = value;
  }
  env.PATH = extra.PATH ?? SANDBOX_PATH;
  return { env, withheld: [...new Set(withheld)].sort() };
}

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}
