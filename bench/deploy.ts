/**
 * Blue/green under load: a steady GET load on the production URL (the environment's proxy) while a
 * new release is deployed and then rolled back. Baseline: the same load on the same URL with
 * nothing happening, measured first in the same run.
 * Targets: zero failed requests during the switch; p99 during the switch vs steady state, as a ratio.
 * Prints one JSON line.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Release } from '../src/contracts/deployment.js';
import { createDeploymentBrain, stopDeployments } from '../src/engines/deployment/index.js';
import { DeploymentSettings } from '../src/engines/deployment/settings.js';
import { failed, percentile, startLoad } from '../test/fixtures/services/load.js';
import {
  changeWorkspace,
  fixtureSpec,
  fixtureWorkspace,
  tempRoot,
} from '../test/fixtures/services/workspace.js';

const CONCURRENCY = 8;
const STEADY_MS = 3_000;
const round = (n: number, digits = 3): number => Number(n.toFixed(digits));
const ctx = (key: string) => ({
  idempotencyKey: key,
  signal: new AbortController().signal,
  progress: async () => {},
});

export default async function bench(): Promise<void> {
  const root = await tempRoot('pa-bench-deploy-');
  const home = join(root, 'home');
  const brain = createDeploymentBrain({ home, settings: DeploymentSettings.parse({}) });
  try {
    const workspace = await fixtureWorkspace(root);
    const requirements = fixtureSpec(2);
    const v1 = Release.parse(await brain.release_prepare!({ workspace, requirements }, ctx('b:release:1')));
    await changeWorkspace(workspace, 'fix-1: second release', null);
    const v2 = Release.parse(await brain.release_prepare!({ workspace, requirements }, ctx('b:release:2')));
    const first = await brain.deploy!(
      { workspace, release: v1, environment: 'production' },
      ctx('b:deploy:1'),
    );
    const url = `${String(first.url)}/items`;

    // Warm up, then the steady-state baseline.
    await (await startLoad(url, { concurrency: CONCURRENCY, maxMs: 500 })).stop();
    const steadyRun = startLoad(url, { concurrency: CONCURRENCY, maxMs: STEADY_MS + 5_000 });
    await new Promise((r) => setTimeout(r, STEADY_MS));
    const steady = await steadyRun.stop();

    // The switch: deploy v2 beside v1, traffic moves, then roll back to v1; load throughout.
    const switchRun = startLoad(url, { concurrency: CONCURRENCY, maxMs: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    const began = Date.now();
    await brain.deploy!({ workspace, release: v2, environment: 'production' }, ctx('b:deploy:2'));
    const deployedAt = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    await brain.deploy_rollback!({ environment: 'production', reason: 'bench' }, ctx('b:rollback:1'));
    const rolledBackAt = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    const all = await switchRun.stop();
    const during = all.filter((s) => s.at >= began && s.at <= rolledBackAt);

    const steadyP99 = percentile(
      steady.map((s) => s.ms),
      0.99,
    );
    const switchP99 = percentile(
      during.map((s) => s.ms),
      0.99,
    );
    const releases = [...new Set(all.map((s) => s.release?.split('+')[0]))].sort();
    console.log(
      JSON.stringify({
        bench: 'deploy',
        failedRequests: failed(all).length,
        requests: all.length,
        requestsDuringSwitch: during.length,
        releasesSeen: releases,
        steadyP99Ms: round(steadyP99),
        switchP99Ms: round(switchP99),
        p99SwitchVsSteady: round(switchP99 / steadyP99),
        steadyP50Ms: round(
          percentile(
            steady.map((s) => s.ms),
            0.5,
          ),
        ),
        switchP50Ms: round(
          percentile(
            during.map((s) => s.ms),
            0.5,
          ),
        ),
        deployMs: deployedAt - began,
        rollbackMs: rolledBackAt - deployedAt - 300,
        concurrency: CONCURRENCY,
      }),
    );
  } finally {
    await stopDeployments(home);
    await rm(root, { recursive: true, force: true });
  }
}
