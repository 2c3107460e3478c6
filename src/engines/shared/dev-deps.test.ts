import { lstat, mkdir, mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkDevDependencies } from './dev-deps.js';

let dir: string;
let before: string | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pa-deps-'));
  before = process.env.POWERAUTO_CACHE_DIR;
  process.env.POWERAUTO_CACHE_DIR = join(dir, 'cache');
});
afterAll(async () => {
  if (before === undefined) delete process.env.POWERAUTO_CACHE_DIR;
  else process.env.POWERAUTO_CACHE_DIR = before;
  await rm(dir, { recursive: true, force: true });
});

describe('linkDevDependencies', () => {
  it('links one workspace from steps running at once (static analysis and tests) without ENOENT or EEXIST', async () => {
    const workspace = join(dir, 'ws');
    await mkdir(workspace);
    const [first] = await Promise.all(Array.from({ length: 12 }, () => linkDevDependencies(workspace)));
    // Again, over an existing link, all at once.
    await Promise.all(Array.from({ length: 12 }, () => linkDevDependencies(workspace)));
    expect((await lstat(join(workspace, 'node_modules'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(workspace, 'node_modules'))).toBe(first);
    expect((await readdir(workspace)).sort()).toEqual(['node_modules']);
  });
});
