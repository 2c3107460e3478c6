import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Deployment, Release } from '../../src/contracts/deployment.js';
import { PowerAutoError } from '../../src/contracts/errors.js';
import { generateCode } from '../../src/engines/coding/generate.js';
import { librarySpecs, testContext } from '../../src/engines/coding/test-fixtures.js';
import {
  createDeploymentBrain,
  listDeployments,
  stopDeployments,
} from '../../src/engines/deployment/index.js';
import { validateManifestFiles } from '../../src/engines/deployment/plugins/kubernetes.js';
import { sha256File } from '../../src/engines/deployment/plugins/local-process/index.js';
import { DeploymentSettings } from '../../src/engines/deployment/settings.js';
import { deploymentHistory } from '../../src/engines/shared/deployment-history.js';
import { linkDevDependencies } from '../../src/engines/shared/dev-deps.js';
import { envDir } from '../../src/engines/shared/paths.js';
import { EnvState } from '../../src/engines/shared/supervisor-api.js';
import { commitAll, initWorkspace } from '../../src/workspace/git.js';
import { failed, startLoad } from '../fixtures/services/load.js';
import { pidRunning, processesMentioning } from '../fixtures/services/processes.js';
import { changeWorkspace, fixtureSpec, fixtureWorkspace, tempRoot } from '../fixtures/services/workspace.js';
import { engineContext } from '../helpers/engine-context.js';

let root: string;
let home: string;
let workspace: string;
const settings = DeploymentSettings.parse({
  environments: { staging: { healthTimeoutMs: 8_000 }, production: { healthTimeoutMs: 8_000 } },
});
const brain = () => createDeploymentBrain({ home, settings });
const call = async (tool: string, input: Record<string, unknown>, key?: string) => {
  const handler = brain()[tool];
  if (handler === undefined) throw new Error(`no ${tool}`);
  return handler(input, engineContext(key));
};

beforeAll(async () => {
  root = await tempRoot('pa-deploy-life-');
  home = join(root, 'home');
  workspace = await fixtureWorkspace(root);
});

afterAll(async () => {
  await stopDeployments(home);
  expect(processesMentioning(home)).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

async function envState(environment: 'staging' | 'production') {
  return EnvState.parse(
    JSON.parse(await readFile(join(envDir(home, 'fixture-items', environment), 'state.json'), 'utf8')),
  );
}

describe('deployment engine lifecycle (real processes, loopback)', () => {
  let v1: Release;
  let v2: Release;

  it('release_prepare: semver from the history, tag, notes, CHANGELOG, artifact digest, Dockerfile, manifests', async () => {
    v1 = Release.parse(
      await call('release_prepare', { workspace, requirements: fixtureSpec(2) }, 'run1:release:1'),
    );
    expect(v1.version).toBe('1.0.0');
    expect(v1.bump).toBe('initial');
    expect(v1.sha256).toBe(await sha256File(v1.artifactPath));
    const tags = await simpleGit(workspace).tags();
    expect(tags.all).toContain('v1.0.0');
    const changelog = await readFile(join(workspace, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toContain('## 1.0.0');
    expect(changelog).toContain('REQ-001');
    expect(changelog).toContain('REQ-002');
    expect(await readFile(join(workspace, v1.files.dockerfile), 'utf8')).toContain(`${v1.project}-1.0.0.tgz`);
    const checks = await validateManifestFiles(workspace, v1.files.kubernetes);
    expect(checks.map((c) => c.kind).sort()).toEqual([
      'apps/v1/Deployment',
      'autoscaling/v2/HorizontalPodAutoscaler',
      'v1/Service',
    ]);
    expect(checks.every((c) => c.valid)).toBe(true);
    const deploymentYaml = await readFile(join(workspace, 'deploy/kubernetes/deployment.yaml'), 'utf8');
    expect(deploymentYaml).toContain('livenessProbe');
    expect(deploymentYaml).toContain('readinessProbe');
    const prom = parseYaml(await readFile(join(workspace, v1.files.prometheus), 'utf8')) as {
      scrape_configs: unknown[];
    };
    expect(prom.scrape_configs.length).toBeGreaterThan(0);
    // The tarball holds the service, not VCS or release files.
    const listing = execFileSync('tar', ['-tzf', v1.artifactPath], { encoding: 'utf8' }).split('\n');
    expect(listing).toContain('server.mjs');
    expect(listing.some((f) => f.startsWith('.git/') || f.startsWith('deploy/'))).toBe(false);

    // Same key: the same release, no second tag.
    const again = Release.parse(
      await call('release_prepare', { workspace, requirements: fixtureSpec(2) }, 'run1:release:1'),
    );
    expect(again).toEqual(v1);

    // A fix commit makes a patch; a new requirement a minor.
    await changeWorkspace(workspace, 'fix-1: run run2 step fix-1 attempt 1', null);
    v2 = Release.parse(
      await call('release_prepare', { workspace, requirements: fixtureSpec(2) }, 'run2:release:1'),
    );
    expect([v2.version, v2.bump]).toEqual(['1.0.1', 'patch']);
    expect(v2.sha256).not.toBe(v1.sha256);
    await writeFile(join(workspace, 'extra.txt'), 'more\n');
    await changeWorkspace(workspace, 'chore: tidy', null);
    const v3 = Release.parse(
      await call('release_prepare', { workspace, requirements: fixtureSpec(3) }, 'run3:release:1'),
    );
    expect([v3.version, v3.bump]).toEqual(['1.1.0', 'minor']);
    expect(v3.notes).toContain('REQ-003 (new)');
  });

  it('deploy is idempotent per key; deploy_verify checks the live URL', async () => {
    const first = Deployment.parse(
      await call('deploy', { workspace, release: v1, environment: 'staging' }, 'run1:deploy_staging:1'),
    );
    const second = Deployment.parse(
      await call('deploy', { workspace, release: v1, environment: 'staging' }, 'run1:deploy_staging:1'),
    );
    expect(second.id).toBe(first.id);
    expect(second.pid).toBe(first.pid);
    const state = await envState('staging');
    expect(state.releases).toHaveLength(1);
    // One service process for staging, and it is the one reported.
    const services = processesMentioning(join(envDir(home, 'fixture-items', 'staging'), 'releases'));
    expect(services).toHaveLength(1);
    expect(services[0]).toContain(String(first.pid));

    const verified = Deployment.parse(
      await call('deploy_verify', { workspace, deployment: first }, 'run1:verify_staging:1'),
    );
    expect(verified.metrics.healthStatus).toBe(200);
    expect(verified.metrics.smokeFailed).toBe(0);
    expect(verified.metrics.smokePassed).toBe(2);
    expect(verified.smoke.map((c) => c.path)).toEqual(['/health', '/items']);
    // No generated smoke suite in this workspace: the generic checks ran, and the output says so.
    expect(verified.smokeSuite).toBeNull();
    expect(verified.metrics.smokeSuite).toBe(0);
    expect(verified.reason).toMatch(/no generated smoke suite/);
  });

  it('blue/green: a switch and a rollback under steady load drop no request; the URL stays the same', async () => {
    const prod1 = Deployment.parse(
      await call('deploy', { workspace, release: v1, environment: 'production' }, 'run1:deploy_production:1'),
    );
    const load = startLoad(`${prod1.url}/items`, { concurrency: 4, maxMs: 20_000 });
    await new Promise((r) => setTimeout(r, 400));
    const prod2 = Deployment.parse(
      await call('deploy', { workspace, release: v2, environment: 'production' }, 'run2:deploy_production:1'),
    );
    expect(prod2.url).toBe(prod1.url);
    expect(prod2.previousVersion).toBe('1.0.0');
    await new Promise((r) => setTimeout(r, 400));
    const back = Deployment.parse(
      await call('deploy_rollback', { environment: 'production', reason: 'test' }, 'op:rollback:1'),
    );
    expect(back.version).toBe('1.0.0');
    expect(back.url).toBe(prod1.url);
    await new Promise((r) => setTimeout(r, 400));
    const samples = await load.stop();
    const releases = new Set(samples.map((s) => s.release?.split('+')[0]));
    expect(releases).toEqual(new Set(['1.0.0', '1.0.1']));
    expect(samples.length).toBeGreaterThan(50);
    expect(failed(samples)).toEqual([]);
    expect(samples.at(-1)?.release?.startsWith('1.0.0+')).toBe(true);
    // The rolled-back release was drained and stopped.
    const state = await envState('production');
    expect(state.releases.find((r) => r.version.startsWith('1.0.1+'))?.role).toBe('rolled_back');
    expect(state.releases.find((r) => r.version.startsWith('1.0.1+'))?.pid).toBeNull();
  });

  it('an environment outlives the engine process that deployed it', async () => {
    const releaseFile = join(root, 'v2.json');
    await writeFile(releaseFile, JSON.stringify(v2));
    const tsx = join(process.cwd(), 'node_modules', 'tsx', 'dist', 'loader.mjs');
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        tsx,
        join(process.cwd(), 'test/fixtures/services/deploy-once.mts'),
        home,
        workspace,
        releaseFile,
        'staging',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    const deployed = Deployment.parse(JSON.parse(out.trim().split('\n').at(-1) ?? '{}'));
    expect(deployed.version).toBe('1.0.1');
    const res = await fetch(`${deployed.url}/version`);
    expect(await res.json()).toEqual({ release: '1.0.1' });
    const rows = await listDeployments(home);
    expect(rows.map((r) => [r.environment, r.version, r.status, r.live]).sort()).toEqual([
      ['production', '1.0.0', 'running', true],
      ['staging', '1.0.1', 'running', true],
    ]);
  });

  it('deploy_stop leaves no process behind (checked in the process table)', async () => {
    const before = [...(await envState('staging')).releases, ...(await envState('production')).releases]
      .map((r) => r.pid)
      .filter((p): p is number => p !== null);
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(processesMentioning(home).length).toBeGreaterThanOrEqual(5); // 2 supervisors + 3 services
    const out = await call('deploy_stop', {}, 'op:stop:1');
    expect(out).toMatchObject({ stopped: true, metrics: { environmentsStopped: 2 } });
    expect(processesMentioning(home)).toEqual([]);
    for (const pid of before) expect(pidRunning(pid)).toBe(false);
    const rows = await listDeployments(home);
    expect(rows.every((r) => r.status === 'stopped' && !r.live)).toBe(true);
  });
});

/** The release a request through the environment's stable URL reached (the proxy's header). */
async function servedRelease(url: string): Promise<string | undefined> {
  const res = await fetch(`${url}/health`);
  await res.arrayBuffer();
  return res.headers.get('x-powerauto-release')?.split('+')[0];
}

describe('deploy_verify runs the generated service smoke suite against the live URL (real processes)', () => {
  const specs = librarySpecs();
  let ws: string;
  let good: Deployment;

  it('a generated service deployed to staging passes its own smoke tests, traced to requirements', async () => {
    const began = performance.now();
    ws = join(root, 'library');
    await initWorkspace(ws);
    await generateCode({ ...specs, workspace: ws }, testContext());
    await linkDevDependencies(ws);
    const release = Release.parse(
      await call('release_prepare', { workspace: ws, requirements: specs.requirements }, 'lib1:release:1'),
    );
    good = Deployment.parse(
      await call('deploy', { workspace: ws, release, environment: 'staging' }, 'lib1:deploy_staging:1'),
    );
    const verified = Deployment.parse(
      await call('deploy_verify', { workspace: ws, deployment: good }, 'lib1:verify_staging:1'),
    );
    expect(verified.smokeSuite).toBe('dist/test/smoke');
    expect(verified.reason).toBeNull();
    expect(verified.smoke.filter((c) => !c.ok)).toEqual([]);
    const tests = verified.smoke.filter((c) => c.method === 'TEST');
    expect(tests.map((c) => [c.testId, c.requirementIds])).toEqual(
      expect.arrayContaining([
        ['TC-005', ['REQ-001', 'REQ-008']],
        ['TC-006', ['REQ-003']],
      ]),
    );
    expect(tests.every((c) => c.path === 'dist/test/smoke/smoke.test.js')).toBe(true);
    // The engine's own health check, the suite's health test and the two cases.
    expect(verified.smoke[0]).toMatchObject({ method: 'GET', path: '/health', status: 200 });
    expect(verified.metrics).toMatchObject({
      healthStatus: 200,
      smokeSuite: 1,
      smokeTests: 3,
      smokePassed: 4,
      smokeFailed: 0,
      smokeRequirements: 3,
    });
    // The records the smoke tests created are really in the live service.
    const books = (await (await fetch(`${good.url}/books`)).json()) as { isbn: string }[];
    expect(books).toHaveLength(1);
    console.log(`[smoke suite] generate, build, deploy, verify: ${Math.round(performance.now() - began)} ms`);
  });

  it('a release whose create route is broken fails verification naming the failing smoke test; staging is rolled back', async () => {
    const began = performance.now();
    const route = join(ws, 'src', 'routes', 'book.ts');
    const original = await readFile(route, 'utf8');
    const broken = original.replace(
      'return { status: 201, body: await store.books.create(input) };',
      'return { status: 200, body: input };',
    );
    expect(broken).not.toBe(original);
    await writeFile(route, broken);
    await commitAll(ws, 'fix-1: a developer breaks createBook');
    const release = Release.parse(
      await call('release_prepare', { workspace: ws, requirements: specs.requirements }, 'lib2:release:1'),
    );
    expect(release.version).toBe('1.0.1');
    const deployed = Deployment.parse(
      await call('deploy', { workspace: ws, release, environment: 'staging' }, 'lib2:deploy_staging:1'),
    );
    expect(await servedRelease(deployed.url)).toBe('1.0.1');
    const err = await call(
      'deploy_verify',
      { workspace: ws, deployment: deployed },
      'lib2:verify_staging:1',
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PowerAutoError);
    expect((err as PowerAutoError).code).toBe('VERIFY_FAILED');
    expect((err as PowerAutoError).message).toMatch(
      /smoke test "\[REQ-001\] \[REQ-008\] TC-005: smoke: create and read back a book": .*POST \/books answered 200.*rolled back to 1\.0\.0/,
    );
    expect(await servedRelease(good.url)).toBe('1.0.0');
    const record = (await deploymentHistory(home, good.project, 'staging')).find((d) => d.id === deployed.id);
    expect(record?.status).toBe('rolled_back');
    const failing = record?.smoke.filter((c) => !c.ok) ?? [];
    expect(failing.map((c) => c.testId)).toEqual(['TC-005']);
    expect(failing[0]?.requirementIds).toEqual(['REQ-001', 'REQ-008']);
    expect(record?.smoke.find((c) => c.testId === 'TC-006')?.ok).toBe(true);
    expect(record?.metrics).toMatchObject({ healthStatus: 200, smokeFailed: 1, smokeSuite: 1 });
    console.log(
      `[smoke suite] broken release: build, deploy, verify, rollback: ${Math.round(performance.now() - began)} ms`,
    );
  });
});
