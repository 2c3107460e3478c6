import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BadInputError, NotFoundError } from '../../contracts/errors.js';
import { safeGit } from '../../workspace/safe-git.js';
import { type ApiContext, route } from '../route.js';
import { RunIdParams } from '../schemas.js';

/**
 * Read-only views of a run's git workspace at a commit: the file tree, one file, and the diff between
 * two commits (e.g. code generation and a fix round). Only git reads, by object name, so nothing
 * outside the repository can be named.
 */

const Commit = z.string().regex(/^[0-9a-f]{7,40}$/, 'a commit hash (hex)');
const RepoPath = z
  .string()
  .min(1)
  .max(1_000)
  .refine(
    (p) => !p.startsWith('-') && !p.startsWith('/') && !p.split('/').includes('..'),
    'a relative path inside the workspace',
  );
const MAX_FILE_BYTES = 512 * 1024;

async function workspaceOf(ctx: ApiContext, runId: string) {
  const view = await ctx.runtime.orchestrator.getRunView(runId);
  const git = safeGit(view.project.workspacePath);
  return { git, view };
}

/** The newest commit the run produced, when no commit is named. */
async function defaultCommit(ctx: ApiContext, runId: string, commit: string | undefined): Promise<string> {
  if (commit !== undefined) return commit;
  const artifacts = await ctx.runtime.store.listArtifacts(runId);
  const latest = artifacts.filter((a) => a.workspaceCommit !== null).at(-1)?.workspaceCommit;
  if (latest == null) throw new NotFoundError('workspace commit', runId);
  return latest;
}

export async function workspacePlugin(app: FastifyInstance, ctx: ApiContext) {
  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/runs/:runId/files',
    summary: "The workspace's file tree at a commit (default: the run's latest)",
    tags: ['artifacts'],
    access: 'runs:read',
    params: RunIdParams,
    query: z.object({ commit: Commit.optional() }),
    response: z.object({
      commit: z.string(),
      files: z.array(z.object({ path: z.string(), bytes: z.number() })),
    }),
    handler: async ({ params, query }) => {
      const { git } = await workspaceOf(ctx, params.runId);
      const commit = await defaultCommit(ctx, params.runId, query.commit);
      const out = await git.raw(['ls-tree', '-r', '-l', '--full-tree', commit]).catch(() => {
        throw new NotFoundError('commit', commit);
      });
      const files = out
        .split('\n')
        .filter((line) => line.includes('\t'))
        .map((line) => {
          const [meta, path] = line.split('\t') as [string, string];
          return { path, bytes: Number(meta.trim().split(/\s+/)[3]) || 0 };
        });
      return { commit, files };
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/runs/:runId/files/content',
    summary: 'One file of the workspace at a commit',
    tags: ['artifacts'],
    access: 'runs:read',
    params: RunIdParams,
    query: z.object({ path: RepoPath, commit: Commit.optional() }),
    response: z.object({ commit: z.string(), path: z.string(), content: z.string(), truncated: z.boolean() }),
    handler: async ({ params, query }) => {
      const { git } = await workspaceOf(ctx, params.runId);
      const commit = await defaultCommit(ctx, params.runId, query.commit);
      const content = await git.show(['--no-textconv', `${commit}:${query.path}`]).catch(() => {
        throw new NotFoundError('file', `${query.path}@${commit}`);
      });
      const truncated = content.length > MAX_FILE_BYTES;
      return {
        commit,
        path: query.path,
        content: truncated ? content.slice(0, MAX_FILE_BYTES) : content,
        truncated,
      };
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/runs/:runId/files/diff',
    summary: 'Unified diff of the workspace between two commits (optionally one path)',
    tags: ['artifacts'],
    access: 'runs:read',
    params: RunIdParams,
    query: z.object({ from: Commit, to: Commit, path: RepoPath.optional() }),
    response: z.object({ from: z.string(), to: z.string(), patch: z.string(), truncated: z.boolean() }),
    handler: async ({ params, query }) => {
      const { git } = await workspaceOf(ctx, params.runId);
      const args = ['diff', '--no-color', '--no-ext-diff', '--no-textconv', query.from, query.to];
      if (query.path !== undefined) args.push('--', query.path);
      const patch = await git.raw(args).catch(() => {
        throw new BadInputError(`cannot diff ${query.from}..${query.to}: unknown commit`);
      });
      const truncated = patch.length > MAX_FILE_BYTES * 2;
      return {
        from: query.from,
        to: query.to,
        patch: truncated ? patch.slice(0, MAX_FILE_BYTES * 2) : patch,
        truncated,
      };
    },
  });
}
