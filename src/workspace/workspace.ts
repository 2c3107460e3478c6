import { writeConfinedFile } from './files.js';
import { commitAll, initWorkspace, resetTo } from './git.js';

/** How the orchestrator keeps each stage's artifacts: one commit per stage, reset on rollback. */
export interface WorkspaceStore {
  /** Creates the workspace; returns its first commit. */
  init(path: string): Promise<string>;
  /** Writes `files` (confined to the workspace) and commits everything changed; returns the commit. */
  commit(path: string, message: string, files: { path: string; content: string }[]): Promise<string>;
  reset(path: string, commit: string): Promise<void>;
}

/** The product's workspace: a real git repository per project. */
export const gitWorkspaceStore: WorkspaceStore = {
  init: initWorkspace,
  async commit(path, message, files) {
    for (const file of files) await writeConfinedFile(path, file.path, file.content);
    return commitAll(path, message);
  },
  reset: resetTo,
};
