/**
 * The dev tools (TypeScript, @types/node) generated services build and test with: one cache per machine,
 * linked into each workspace. The coding engine generates with them, the testing engine runs with them.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, readFile, readlink, realpath, rename, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

export interface DevDependencies {
  typescript: string;
  typesNode: string;
}

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** The dev tool versions generated services pin: the product's own, so the cache can be filled from them. */
export const DEV_DEPENDENCIES: DevDependencies = { typescript: '5.9.3', typesNode: '20.19.43' };

export function powerautoHome(): string {
  return resolve(process.env.POWERAUTO_HOME ?? './.powerauto');
}

/** `$POWERAUTO_CACHE_DIR`, else `$POWERAUTO_HOME/cache`: several homes (tests, users) can share one cache. */
export function cacheDir(): string {
  const dir = process.env.POWERAUTO_CACHE_DIR;
  return dir !== undefined && dir !== '' ? resolve(dir) : join(powerautoHome(), 'cache');
}

export function depsCacheDir(): string {
  const key = `typescript-${DEV_DEPENDENCIES.typescript}_types-node-${DEV_DEPENDENCIES.typesNode}`;
  return join(cacheDir(), 'node-deps', key);
}

function productPackageDir(name: string, from?: string): string | null {
  try {
    const req = from ? createRequire(join(from, 'package.json')) : require;
    return dirname(req.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

async function version(dir: string): Promise<string> {
  return (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

let pending: Promise<string> | undefined;

/**
 * Returns `<cache>/node_modules` holding TypeScript and @types/node, filling it once per machine:
 * copied from the product's own node_modules when the versions match, else one `npm install` into
 * the cache. Built in a temp dir and renamed, so concurrent runs never see a half-filled cache.
 */
export function ensureDevDependencies(): Promise<string> {
  pending ??= fill().finally(() => {
    pending = undefined;
  });
  return pending;
}

async function fill(): Promise<string> {
  const root = depsCacheDir();
  const modules = join(root, 'node_modules');
  if (
    existsSync(join(modules, 'typescript', 'package.json')) &&
    existsSync(join(modules, '@types', 'node', 'package.json'))
  ) {
    return realpath(modules);
  }
  const tmp = `${root}.tmp-${randomUUID()}`;
  await mkdir(join(tmp, 'node_modules', '@types'), { recursive: true });
  try {
    const ts = productPackageDir('typescript');
    const types = productPackageDir('@types/node');
    const undici = types ? productPackageDir('undici-types', types) : null;
    if (
      ts &&
      types &&
      undici &&
      (await version(ts)) === DEV_DEPENDENCIES.typescript &&
      (await version(types)) === DEV_DEPENDENCIES.typesNode
    ) {
      await cp(ts, join(tmp, 'node_modules', 'typescript'), { recursive: true, dereference: true });
      await cp(types, join(tmp, 'node_modules', '@types', 'node'), { recursive: true, dereference: true });
      await cp(undici, join(tmp, 'node_modules', 'undici-types'), { recursive: true, dereference: true });
    } else {
      await run(
        'npm',
        [
          'install',
          '--no-save',
          '--no-audit',
          '--no-fund',
          '--prefix',
          tmp,
          `typescript@${DEV_DEPENDENCIES.typescript}`,
          `@types/node@${DEV_DEPENDENCIES.typesNode}`,
        ],
        { timeout: 300_000 },
      );
    }
    await mkdir(join(tmp, 'node_modules', '.bin'), { recursive: true });
    await symlink('../typescript/bin/tsc', join(tmp, 'node_modules', '.bin', 'tsc')).catch(() => undefined);
    await mkdir(dirname(root), { recursive: true });
    await rename(tmp, root).catch(async (err: NodeJS.ErrnoException) => {
      // Another process filled the cache first: keep theirs.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return realpath(modules);
}

/** Links the cache into the workspace as `node_modules` (gitignored); a real folder a developer installed is kept. */
export async function linkDevDependencies(workspace: string): Promise<string> {
  const modules = await ensureDevDependencies();
  const link = join(workspace, 'node_modules');
  const info = await lstat(link).catch(() => null);
  if (info !== null && !info.isSymbolicLink()) return modules;
  if (info !== null && (await readlink(link).catch(() => null)) === modules) return modules;
  // Replaced by rename, which is atomic: steps linking the same workspace at once (static
  // analysis and tests run side by side) never see it missing or collide creating it.
  const tmp = join(workspace, `.node_modules-${randomUUID()}.tmp`);
  await symlink(modules, tmp, 'dir');
  await rename(tmp, link).catch(async (err) => {
    await rm(tmp, { force: true });
    throw err;
  });
  return modules;
}

/** The product's own Biome binary (a devDependency of PowerAutomation), for linting generated code. */
export function biomeBinary(): string | null {
  const dir = productPackageDir('@biomejs/biome');
  return dir ? join(dir, 'bin', 'biome') : null;
}
