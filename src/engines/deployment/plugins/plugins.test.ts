import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PowerAutoError } from '../../../contracts/errors.js';
import { run } from '../exec.js';
import {
  deploymentManifest,
  hpaManifest,
  type ManifestInput,
  serviceManifest,
  yamlDoc,
} from '../release/manifests.js';
import { DeploymentSettings } from '../settings.js';
import { dockerAvailability, dockerPlugin } from './docker.js';
import { kubernetesPlugin, validateManifestText } from './kubernetes.js';
import { PluginRegistry } from './registry.js';
import type { PluginContext } from './types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pa-plugins-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const m: ManifestInput = {
  project: 'books',
  version: '1.2.0',
  port: 3000,
  healthPath: '/health',
  image: 'books:1.2.0',
};
const ctx = (settings = DeploymentSettings.parse({})): PluginContext => ({
  home: dir,
  settings,
  signal: new AbortController().signal,
  progress: async () => {},
});

describe('kubernetes plugin', () => {
  it('validates generated manifests against the Kubernetes schemas and rejects a broken one', () => {
    for (const doc of [deploymentManifest(m), serviceManifest(m), hpaManifest(m)]) {
      expect(validateManifestText('x.yaml', yamlDoc(doc)).every((c) => c.valid)).toBe(true);
    }
    // The generated service's database: PostgreSQL from a Secret, else SQLite in the mounted data volume.
    const text = yamlDoc(deploymentManifest(m));
    expect(text).toMatch(/name: DATABASE_URL\n\s+valueFrom:\n\s+secretKeyRef:/);
    expect(text).toMatch(/mountPath: \/app\/data/);
    const broken = structuredClone(deploymentManifest(m)) as { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    const [check] = validateManifestText('bad.yaml', yamlDoc(broken));
    expect(check?.valid).toBe(false);
    expect(check?.error).toMatch(/replicas/);
  });

  it('without a kubectl context it only validates, and says so', async () => {
    const files = ['deploy/kubernetes/deployment.yaml', 'deploy/kubernetes/service.yaml'];
    await run('mkdir', ['-p', join(dir, 'deploy/kubernetes')]);
    await writeFile(join(dir, files[0] as string), yamlDoc(deploymentManifest(m)));
    await writeFile(join(dir, files[1] as string), yamlDoc(serviceManifest(m)));
    const release = { project: 'books', version: '1.2.0', files: { kubernetes: files } } as never;
    const result = await kubernetesPlugin.deploy(
      { release, environment: 'staging', workspace: dir, deployedBy: null },
      ctx(),
    );
    expect(result.status).toBe('validated');
    expect(result.reason).toMatch(/no kubectl context.*2 objects validated.*nothing applied/);
  });
});

describe('docker plugin', () => {
  it('reports unavailable, with the reason, when no Docker engine answers', async () => {
    const availability = await dockerAvailability('docker');
    if (availability.ok) return; // a machine with a daemon: nothing to assert here
    const err = await dockerPlugin
      .deploy({ release: {} as never, environment: 'staging', workspace: dir, deployedBy: null }, ctx())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PowerAutoError);
    expect((err as PowerAutoError).code).toBe('PLUGIN_UNAVAILABLE');
    expect((err as PowerAutoError).message).toMatch(
      /docker plugin unavailable: (no Docker engine is reachable|the docker CLI)/,
    );
    const status = await dockerPlugin.status({ project: 'books', environment: 'staging' }, ctx());
    expect(status?.status).toBe('unavailable');
  });
});

describe('plugin registry', () => {
  it('loads a plugin from a path named in config and refuses a module that is not one', async () => {
    const good = join(dir, 'echo-plugin.mjs');
    await writeFile(
      good,
      `export const plugin = { name: 'echo', async deploy() { return { url: 'http://127.0.0.1:1', status: 'running', pid: null, previousVersion: null, reason: null, logFile: null, metrics: {} }; }, async verify() { return { healthStatus: 200, checks: [] }; }, async rollback() { throw new Error('no'); }, async stop() { return { stopped: false, pids: [] }; }, async status() { return null; } };\n`,
    );
    await writeFile(join(dir, 'bad-plugin.mjs'), 'export const plugin = { name: "bad" };\n');
    const registry = new PluginRegistry(dir, { echo: good, bad: './bad-plugin.mjs' });
    expect(registry.names()).toEqual(['bad', 'docker', 'echo', 'kubernetes', 'local-process']);
    const echo = await registry.get('echo');
    expect(echo.name).toBe('echo');
    await expect(registry.get('bad')).rejects.toThrow(/does not export a plugin/);
    await expect(registry.get('nope')).rejects.toThrow(/no deployment plugin "nope"/);
  });
});
