import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { create as createTar } from 'tar';
import { z } from 'zod';
import type { Release, ReleaseFiles } from '../../../contracts/deployment.js';
import type { ReleasePrepareInput } from '../../../contracts/engines.js';
import { Sandbox } from '../../../sandbox/sandbox.js';
import { writeConfinedFile } from '../../../workspace/files.js';
import { commitAll } from '../../../workspace/git.js';
import { safeGit, WorkspaceTamperedError } from '../../../workspace/safe-git.js';
import type { EngineToolContext } from '../../brain.js';
import { mdText } from '../../shared/escape.js';
import { DeployFailedError } from '../errors.js';
import { lastLine } from '../exec.js';
import { artifactsDir, safeName } from '../paths.js';
import { validateManifestText } from '../plugins/kubernetes.js';
import { sha256File } from '../plugins/local-process/index.js';
import type { DeploymentSettings } from '../settings.js';
import {
  deploymentManifest,
  dockerfile,
  hpaManifest,
  prometheusConfig,
  serviceManifest,
  yamlDoc,
} from './manifests.js';
import { compareSemver, decideBump, parseSemver, type Semver } from './version.js';

type Input = z.infer<typeof ReleasePrepareInput>;

const SERVICE_PORT = 3000;
// Never packed: VCS, installs, engine data, and release files (they describe the artifact).
const EXCLUDED = new Set(['.git', 'node_modules', 'coverage', '.powerauto', 'deploy', 'data']);
const RELEASE_MANIFEST = 'deploy/release.json';
// Files whose changes do not make a new release: stage artifacts and release outputs.
const NOT_PRODUCT = /^(\.powerauto\/|deploy\/|CHANGELOG\.md$|docs\/releases\/)/;

const ReleaseManifest = z.object({ version: z.string(), requirementIds: z.array(z.string()) });
const PackageJson = z.object({
  name: z.string().optional(),
  scripts: z.record(z.string(), z.string()).default({}),
});

// Tags are annotated by the product, whatever the host's git identity is.
function git(workspace: string) {
  return safeGit(workspace);
}

async function readPackage(workspace: string): Promise<z.infer<typeof PackageJson> | null> {
  try {
    return PackageJson.parse(JSON.parse(await readFile(join(workspace, 'package.json'), 'utf8')));
  } catch {
    return null;
  }
}

async function previousTag(workspace: string): Promise<{ tag: string; version: Semver } | null> {
  const tags = (await git(workspace).tags()).all
    .map((tag) => ({ tag, version: parseSemver(tag) }))
    .filter((t): t is { tag: string; version: Semver } => t.tag.startsWith('v') && t.version !== null)
    .sort((a, b) => compareSemver(b.version, a.version));
  return tags[0] ?? null;
}

/** Subjects of commits since `tag` that touched product files. */
async function productCommits(workspace: string, tag: string | null): Promise<string[]> {
  const range = tag === null ? ['HEAD'] : [`${tag}..HEAD`];
  const out = await git(workspace).raw(['log', '--format=%x1e%s', '--name-only', ...range]);
  const subjects: string[] = [];
  for (const block of out.split('\x1e').slice(1)) {
    const [subject = '', ...files] = block.split('\n').filter((l) => l.trim() !== '');
    if (files.length === 0 || files.some((f) => !NOT_PRODUCT.test(f))) subjects.push(subject.trim());
  }
  return subjects.filter((s) => s !== 'workspace created');
}

async function previousRequirementIds(workspace: string, tag: string | null): Promise<string[]> {
  if (tag === null) return [];
  try {
    const text = await git(workspace).show([`${tag}:${RELEASE_MANIFEST}`]);
    return ReleaseManifest.parse(JSON.parse(text)).requirementIds;
  } catch {
    return [];
  }
}

/** Every packable path, sorted, so the same tree gives the same tarball (and digest). */
async function packList(workspace: string, dir = ''): Promise<string[]> {
  const entries = await readdir(join(workspace, dir), { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (dir === '' && EXCLUDED.has(entry.name)) continue;
    if (entry.isDirectory()) out.push(...(await packList(workspace, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

async function packArtifact(workspace: string, target: string): Promise<string> {
  await mkdir(join(target, '..'), { recursive: true });
  const files = await packList(workspace);
  const tmp = `${target}.${process.pid}.tmp`;
  await createTar(
    { gzip: { level: 9 }, file: tmp, cwd: workspace, portable: true, noMtime: false, mtime: new Date(0) },
    files,
  );
  await rename(tmp, target);
  return sha256File(target);
}

/**
 * The package scripts must be the ones the coding engine committed (its latest `code_*` commit):
 * a script planted later, by generated code or a test, must not run at release.
 */
export async function verifyScripts(workspace: string, scripts: Record<string, string>): Promise<void> {
  const repo = git(workspace);
  const ref = (
    await repo.raw(['log', '-1', '--format=%H', '--extended-regexp', '--grep=^code_[a-z]+:'])
  ).trim();
  if (ref === '') return; // not a workspace the coding engine wrote (hand-made in tests, imported)
  const text = await repo.show(['--no-textconv', `${ref}:package.json`]).catch(() => null);
  const expected = text === null ? null : PackageJson.safeParse(JSON.parse(text));
  const want = expected?.success ? expected.data.scripts : {};
  const changed = [...new Set([...Object.keys(want), ...Object.keys(scripts)])].filter(
    (k) => want[k] !== scripts[k],
  );
  if (changed.length > 0) {
    throw new WorkspaceTamperedError(
      `package.json scripts differ from what the coding engine wrote (${changed.join(', ')}); refusing to build`,
    );
  }
}

async function build(
  workspace: string,
  pkg: z.infer<typeof PackageJson> | null,
  settings: DeploymentSettings,
  ctx: EngineToolContext,
) {
  if (pkg?.scripts.build === undefined) return { built: 0, buildMs: 0 };
  await verifyScripts(workspace, pkg.scripts);
  const began = performance.now();
  // The build runs generated code (its scripts, its compiler config): in the sandbox, never with the
  // orchestrator's uid and environment.
  const modules = await realpath(join(workspace, 'node_modules')).catch(() => null);
  const sandbox = await Sandbox.create({ workspace, readOnly: modules === null ? [] : [modules] });
  let result: { code: number; stdout: string; stderr: string };
  try {
    const res = await sandbox.run('npm', ['run', 'build', '--silent'], {
      timeoutMs: settings.buildTimeoutMs,
      signal: ctx.signal,
    });
    result = { code: res.timedOut ? 124 : (res.exitCode ?? 1), stdout: res.stdout, stderr: res.stderr };
  } finally {
    await sandbox.dispose();
  }
  if (result.code !== 0) {
    throw new DeployFailedError(
      `npm run build failed (exit ${result.code}): ${lastLine(result.stderr || result.stdout)}`,
    );
  }
  return { built: 1, buildMs: Math.round(performance.now() - began) };
}

function releaseNotes(
  input: Input,
  version: string,
  commits: string[],
  newIds: Set<string>,
  date: string,
): string {
  const lines = [`## ${version} (${date})`, ''];
  const reqs = input.requirements.requirements.filter((r) => r.priority !== 'wont');
  if (reqs.length > 0) {
    lines.push('### Requirements', '');
    for (const r of reqs)
      lines.push(
        `- ${mdText(r.id)}${newIds.has(r.id) ? ' (new)' : ''} \\[${r.priority}\\] ${mdText(r.text.replace(/\s+/g, ' ').trim(), 500)}`,
      );
    lines.push('');
  }
  if (commits.length > 0) {
    lines.push('### Changes', '');
    for (const c of commits.slice(0, 50)) lines.push(`- ${mdText(c, 200)}`);
    lines.push('');
  }
  const report = input.testReport;
  if (report !== undefined) {
    const passed = report.tests.filter((t) => t.status === 'passed').length;
    const failed = report.tests.filter((t) => t.status === 'failed').length;
    lines.push(
      '### Tests',
      '',
      `- ${passed} passed, ${failed} failed${report.coverage ? `; line coverage ${report.coverage.lines}%` : ''}`,
      '',
    );
  }
  return lines.join('\n');
}

/** `release_prepare`: version, notes, CHANGELOG, artifact + digest, Dockerfile, manifests, tag. */
export async function prepareRelease(
  input: Input,
  ctx: EngineToolContext,
  options: { home: string; settings: DeploymentSettings },
): Promise<Release> {
  const { workspace } = input;
  if (!existsSync(join(workspace, '.git')))
    throw new DeployFailedError(`${workspace} is not a git workspace`);
  const pkg = await readPackage(workspace);
  const project = safeName(pkg?.name ?? input.requirements.projectName ?? basename(workspace));
  const prev = await previousTag(workspace);
  const commits = await productCommits(workspace, prev?.tag ?? null);
  const requirementIds = input.requirements.requirements.map((r) => r.id);
  const prevIds = new Set(await previousRequirementIds(workspace, prev?.tag ?? null));
  const newIds = requirementIds.filter((id) => !prevIds.has(id));
  const { version, bump } = decideBump(prev?.version ?? null, {
    commits,
    newRequirementIds: prev === null ? [] : newIds,
  });
  const tag = `v${version}`;
  await ctx.progress(1, 5, `version ${version} (${bump})`);

  const buildStats = await build(workspace, pkg, options.settings, ctx);
  ctx.signal.throwIfAborted();
  await ctx.progress(2, 5, 'packing the artifact');
  const artifactName = `${project}-${version}.tgz`;
  const artifactPath = join(artifactsDir(options.home), artifactName);
  const sha256 = await packArtifact(workspace, artifactPath);

  await ctx.progress(3, 5, 'writing release files');
  const date = new Date().toISOString();
  const notes = releaseNotes(input, version, commits, new Set(newIds), date.slice(0, 10));
  const manifestInput = {
    project,
    version,
    port: SERVICE_PORT,
    healthPath: options.settings.environments.production.healthPath,
    image: `${project}:${version}`,
  };
  const k8s: Record<string, Record<string, unknown>> = {
    'deploy/kubernetes/deployment.yaml': deploymentManifest(manifestInput),
    'deploy/kubernetes/service.yaml': serviceManifest(manifestInput),
    'deploy/kubernetes/hpa.yaml': hpaManifest(manifestInput),
  };
  const files: ReleaseFiles = {
    changelog: 'CHANGELOG.md',
    notes: `docs/releases/${tag}.md`,
    dockerfile: 'deploy/Dockerfile',
    kubernetes: Object.keys(k8s),
    prometheus: 'deploy/prometheus.yml',
    manifest: RELEASE_MANIFEST,
  };
  let manifestsValid = 0;
  for (const [path, doc] of Object.entries(k8s)) {
    const text = yamlDoc(doc);
    const invalid = validateManifestText(path, text).filter((c) => !c.valid);
    if (invalid.length > 0) throw new DeployFailedError(`generated ${path} is invalid: ${invalid[0]?.error}`);
    manifestsValid += 1;
    await writeConfinedFile(workspace, path, text);
  }
  await writeConfinedFile(
    workspace,
    files.dockerfile,
    dockerfile(project, version, artifactName, SERVICE_PORT, manifestInput.healthPath),
  );
  await writeConfinedFile(workspace, files.prometheus, prometheusConfig(project, []));
  await writeConfinedFile(workspace, files.notes, `# ${project} ${tag}\n\n${notes}`);
  const previousLog = await readFile(join(workspace, 'CHANGELOG.md'), 'utf8').catch(() => '');
  const body = previousLog.replace(/^# Changelog\n+/, '');
  if (!body.startsWith(`## ${version} `)) {
    await writeConfinedFile(workspace, 'CHANGELOG.md', `# Changelog\n\n${notes}\n${body}`);
  }
  await writeConfinedFile(
    workspace,
    RELEASE_MANIFEST,
    `${JSON.stringify({ version, requirementIds, sha256, artifact: artifactName }, null, 2)}\n`,
  );

  await ctx.progress(4, 5, `tagging ${tag}`);
  const commit = await commitAll(workspace, `release: ${tag}`);
  const repo = git(workspace);
  const existing = (await repo.tags()).all.includes(tag);
  if (!existing) await repo.addAnnotatedTag(tag, `${project} ${tag}\n\n${notes}`);
  const tagged = (await repo.raw(['rev-list', '-n', '1', tag])).trim();

  return {
    project,
    version,
    previousVersion:
      prev === null ? null : `${prev.version.major}.${prev.version.minor}.${prev.version.patch}`,
    bump,
    tag,
    commit: tagged,
    notes,
    requirementIds,
    artifactPath,
    sha256,
    files,
    createdAt: date,
    metrics: {
      commitsSincePreviousRelease: commits.length,
      requirements: requirementIds.length,
      newRequirements: prev === null ? requirementIds.length : newIds.length,
      artifactBytes: (await stat(artifactPath)).size,
      manifestsValid,
      built: buildStats.built,
      buildMs: buildStats.buildMs,
      headIsTagged: tagged === commit ? 1 : 0,
    },
  };
}
