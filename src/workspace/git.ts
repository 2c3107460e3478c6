import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { safeGit } from './safe-git.js';

// Git takes an index lock; steps that finish together on one workspace must commit one at a time.
const queues = new Map<string, Promise<unknown>>();
function serialized<T>(path: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const next = previous.then(task, task);
  queues.set(
    path,
    next.catch(() => undefined),
  );
  return next;
}

// Commits are authored by the product (safeGit sets the identity), with hooks and config disabled.
function git(path: string) {
  return safeGit(path);
}

/** Creates the project's git repository with one empty commit, so every stage has a parent. */
export async function initWorkspace(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  return serialized(path, async () => {
    const repo = git(path);
    if (!existsSync(join(path, '.git'))) {
      await repo.init(['--initial-branch=main']);
      await repo.commit('workspace created', { '--allow-empty': null });
    }
    return (await repo.revparse(['HEAD'])).trim();
  });
}

/** Commits everything that changed and returns HEAD; with nothing to commit, HEAD as it is. */
export async function commitAll(path: string, message: string): Promise<string> {
  return serialized(path, async () => {
    const repo = git(path);
    await repo.add(['-A']);
    const status = await repo.status();
    if (status.staged.length > 0 || status.files.length > 0) await repo.commit(message);
    return (await repo.revparse(['HEAD'])).trim();
  });
}

/** Resets the work tree to `commit`, dropping later commits and untracked files. */
export async function resetTo(path: string, commit: string): Promise<void> {
  await serialized(path, async () => {
    const repo = git(path);
    await repo.reset(['--hard', commit]);
    await repo.clean('f', ['-d']);
  });
}

export async function headCommit(path: string): Promise<string> {
  return (await git(path).revparse(['HEAD'])).trim();
}

export async function commitMessages(path: string): Promise<string[]> {
  const log = await git(path).log();
  return log.all.map((entry) => entry.message);
}
