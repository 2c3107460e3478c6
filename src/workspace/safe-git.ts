import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { PowerAutoError } from '../contracts/errors.js';

/** The workspace's repository was changed in a way the orchestrator must not act on. */
export class WorkspaceTamperedError extends PowerAutoError {
  constructor(message: string) {
    super('SANDBOX_VIOLATION', message);
  }
}

/*
 * Every git call the orchestrator makes on a workspace that generated code has touched. Command-line
 * `-c` beats every config file; hooks, fsmonitor and pagers are off; system and global config are not
 * read (a host's textconv or credential helper stays out); the repository's own config may only hold
 * the keys `git init` writes, so a planted filter/textconv/include cannot run through it.
 */
const SAFE_FLAGS = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'core.untrackedCache=false',
  'core.pager=cat',
  'core.attributesFile=/dev/null',
  'core.sshCommand=false',
  'diff.external=',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'protocol.allow=never',
  'user.name=PowerAutomation',
  'user.email=powerauto@localhost',
];

/** What `git init` writes; anything else in `.git/config` means it was edited. */
const ALLOWED_LOCAL =
  /^(core\.(repositoryformatversion|filemode|bare|logallrefupdates|ignorecase|precomposeunicode|symlinks)|extensions\.objectformat)$/;

/** A small allow-list: the parent's GIT_*, EDITOR, PAGER, askpass... could each make git run a program. */
export function safeGitEnv(parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR']) {
    const v = parent[k];
    if (v !== undefined) env[k] = v;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
  };
}

/** Refuses a repository whose local config holds keys that make git run programs or read elsewhere. */
export function verifyRepositoryConfig(path: string): void {
  const file = join(path, '.git', 'config');
  if (!existsSync(file)) return;
  let names: string[];
  try {
    names = execFileSync('git', ['config', '--file', file, '--list', '--name-only'], {
      env: safeGitEnv(),
      encoding: 'utf8',
      timeout: 10_000,
    })
      .split('\n')
      .filter(Boolean);
  } catch (err) {
    throw new WorkspaceTamperedError(`${file} cannot be read as git config: ${(err as Error).message}`);
  }
  const foreign = names.filter((n) => !ALLOWED_LOCAL.test(n.toLowerCase()));
  if (foreign.length > 0) {
    throw new WorkspaceTamperedError(
      `the workspace's git config was changed (${foreign.slice(0, 5).join(', ')}); refusing to run git on it`,
    );
  }
}

/** A simple-git client for `path` with hooks and config disabled (see SAFE_FLAGS); checks the repo first. */
export function safeGit(path: string): SimpleGit {
  verifyRepositoryConfig(path);
  return simpleGit({
    baseDir: path,
    config: [...SAFE_FLAGS, `safe.directory=${path}`],
    allowEnvironment: [
      'GIT_CONFIG_NOSYSTEM',
      'GIT_CONFIG_GLOBAL',
      'GIT_TERMINAL_PROMPT',
      'GIT_OPTIONAL_LOCKS',
    ],
    // simple-git guards against callers *enabling* hooks; here the flag turns them off.
    unsafe: {
      allowUnsafeHooksPath: true,
      allowUnsafeFsMonitor: true,
      allowUnsafePager: true,
      allowUnsafeSshCommand: true,
      allowUnsafeDiffExternal: true,
      allowUnsafeProtocolOverride: true,
      allowUnsafeConfigPaths: true,
    },
  }).env(safeGitEnv());
}
