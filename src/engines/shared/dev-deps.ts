/**
 * The stack generated services build, test and run with (exact versions, see STACK): one cache per
 * machine, linked into each workspace as node_modules. The coding engine generates and lints with it,
 * the testing engine runs with it.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { cp, lstat, mkdir, readlink, realpath, rename, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/**
 * The vetted stack of generated services: exact versions, all the product's own (a test holds them to
 * the product's package.json), so the cache is filled from the product's node_modules without a
 * download and without running any install script (better-sqlite3's addon is already built there).
 */
export interface Stack {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

export const STACK: Stack = {
  dependencies: {
    'better-sqlite3': '12.11.1',
    fastify: '5.12.8',
    kysely: '0.28.19',
    pg: '8.23.1',
    pino: '10.4.0',
    'prom-client': '15.1.3',
    zod: '4.6.7',
  },
  devDependencies: {
    '@types/better-sqlite3': '7.6.13',
    '@types/node': '20.19.43',
    '@types/pg': '8.23.1',
    typescript: '5.9.3',
  },
};

/** Only used by install scripts (prebuilt binaries), which never run here. */
const INSTALL_ONLY = new Set(['prebuild-install']);

export function powerautoHome(): string {
  return resolve(process.env.POWERAUTO_HOME ?? './.powerauto');
}

/** `$POWERAUTO_CACHE_DIR`, else `$POWERAUTO_HOME/cache`: several homes (tests, users) can share one cache. */
export function cacheDir(): string {
  const dir = process.env.POWERAUTO_CACHE_DIR;
  return dir !== undefined && dir !== '' ? resolve(dir) : join(powerautoHome(), 'cache');
}

export function depsCacheDir(): string {
  const all = { ...STACK.dependencies, ...STACK.devDependencies };
  const key = createHash('sha256').update(JSON.stringify(all)).digest('hex').slice(0, 16);
  return join(cacheDir(), 'node-deps', `stack-${key}`);
}

function productPackageDir(name: string, from?: string): string | null {
  try {
    const req = from ? createRequire(join(from, 'package.json')) : require;
    return dirname(req.resolve(`${name}/package.json`));
  } catch {
    return findUp(name, from ?? dirname(fileURLToPath(import.meta.url)));
  }
}

/**
 * Node's lookup of `node_modules/<name>` from a folder upwards, for packages whose exports hide
 * package.json. The real path, as `require.resolve` gives: with a linked node_modules (a git worktree
 * sharing another checkout's) both lookups must name the same folder, or the closure loses packages.
 */
function findUp(name: string, from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return null;
  }
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** The product's node_modules folder holding `dir` at its top level (`…/node_modules/@scope/name` counts). */
function topLevel(dir: string): { root: string; name: string } | null {
  // A package nested in another one (`…/node_modules/a/node_modules/b`) is found here under its own
  // node_modules; the caller keeps only those under the product root.
  const parts = dir.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return null;
  const rest = parts.slice(at + 1);
  if (rest.length === 1 || (rest.length === 2 && rest[0]?.startsWith('@'))) {
    return { root: parts.slice(0, at + 1).join(sep), name: rest.join('/') };
  }
  return null;
}

export interface Closure {
  /** The product's node_modules folder. */
  root: string;
  /** Top-level package names to copy (nested ones travel inside them). */
  names: string[];
}

/**
 * Every package the stack needs at run and build time, found in the product's node_modules; null if one
 * is missing or another version. `installOnly` adds what only install scripts use: the cache leaves it
 * out, the lockfile may not (`npm ci` refuses a lockfile that misses a dependency of a locked package).
 */
export function productClosure(
  stack: Stack = STACK,
  options: { installOnly?: boolean } = {},
): Closure | null {
  const wanted = { ...stack.dependencies, ...stack.devDependencies };
  const names = new Set<string>();
  let root: string | null = null;
  const visit = (name: string, from: string | undefined, seen: Set<string>): boolean => {
    const dir = from ? findUp(name, from) : productPackageDir(name);
    if (dir === null) return false;
    if (seen.has(dir)) return true;
    seen.add(dir);
    const top = topLevel(dir);
    if (top) {
      root ??= top.root;
      if (top.root === root) names.add(top.name);
    }
    const pkg = readPackage(dir);
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      if (INSTALL_ONLY.has(dep) && options.installOnly !== true) continue;
      if (!visit(dep, dir, seen)) return false;
    }
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, seen);
    return true;
  };
  const seen = new Set<string>();
  for (const [name, version] of Object.entries(wanted)) {
    const dir = productPackageDir(name);
    if (dir === null || readPackage(dir).version !== version) return null;
    if (!visit(name, undefined, seen)) return null;
  }
  return root === null ? null : { root, names: [...names].sort() };
}

/** Leaves out what only building the addon or its docs needs: better-sqlite3 ships 10 MB of SQLite sources. */
function keep(src: string, root: string): boolean {
  const rel = relative(root, src).split(sep);
  if (rel[0] !== 'better-sqlite3' || rel.length < 2) return true;
  if (rel[1] === 'deps' || rel[1] === 'src') return false;
  if (rel[1] === 'build') return rel.length < 4 || (rel[2] === 'Release' && rel[3] === 'better_sqlite3.node');
  return true;
}

let pending: Promise<string> | undefined;

/**
 * Returns `<cache>/node_modules` holding the stack, filling it once per machine: copied from the
 * product's own node_modules (no download, no install scripts), else one `npm install --ignore-scripts`
 * into the cache. Built in a temp dir and renamed, so concurrent runs never see a half-filled cache.
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
  if (existsSync(join(root, '.complete'))) return realpath(modules);
  // Random: engines in worker threads share the pid, and two may fill the cache at once.
  const tmp = `${root}.tmp-${randomUUID()}`;
  await mkdir(join(tmp, 'node_modules'), { recursive: true });
  try {
    const closure = productClosure();
    if (closure) {
      for (const name of closure.names) {
        await cp(join(closure.root, name), join(tmp, 'node_modules', name), {
          recursive: true,
          dereference: true,
          filter: (src) => keep(src, closure.root),
        });
      }
    } else {
      const specs = Object.entries({ ...STACK.dependencies, ...STACK.devDependencies }).map(
        ([name, version]) => `${name}@${version}`,
      );
      await run(
        'npm',
        ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', tmp, ...specs],
        { timeout: 300_000 },
      );
    }
    await mkdir(join(tmp, 'node_modules', '.bin'), { recursive: true });
    await symlink('../typescript/bin/tsc', join(tmp, 'node_modules', '.bin', 'tsc')).catch(() => undefined);
    await mkdir(join(tmp, '.complete'));
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

/** Links the cache into the workspace as `node_modules` (gitignored); a dir folder a developer installed is kept. */
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

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  [key: string]: unknown;
}

let lockCache: Record<string, LockEntry> | null | undefined;

/**
 * The lockfile entries of the stack, taken from the product's own lockfile (npm's hidden
 * `node_modules/.package-lock.json`): the workspace's package-lock.json names exactly what the cache
 * holds, plus what better-sqlite3's install script uses (prebuild-install), so `npm ci` takes it.
 */
export function stackLockPackages(): Record<string, LockEntry> {
  if (lockCache !== undefined) return lockCache ?? {};
  lockCache = null;
  const closure = productClosure(STACK, { installOnly: true });
  if (!closure) return {};
  try {
    const lock = JSON.parse(readFileSync(join(closure.root, '.package-lock.json'), 'utf8')) as {
      packages: Record<string, LockEntry>;
    };
    const out: Record<string, LockEntry> = {};
    const tops = new Set(closure.names);
    for (const [path, entry] of Object.entries(lock.packages).sort(([a], [b]) => a.localeCompare(b))) {
      const name = path.replace(/^node_modules\//, '').split('/node_modules/')[0] ?? '';
      if (!tops.has(name)) continue;
      const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
      out[path] = rest;
    }
    lockCache = out;
  } catch {
    lockCache = null;
  }
  return lockCache ?? {};
}

/** The product's own Biome binary (a devDependency of PowerAutomation), for linting generated code. */
export function biomeBinary(): string | null {
  const dir = productPackageDir('@biomejs/biome');
  return dir ? join(dir, 'bin', 'biome') : null;
}
