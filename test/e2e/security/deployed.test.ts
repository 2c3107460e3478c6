import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSecret } from '../../../src/api/auth/authenticator.js';
import { Deployment, Release } from '../../../src/contracts/deployment.js';
import { createDeploymentBrain, stopDeployments } from '../../../src/engines/deployment/index.js';
import { freePort } from '../../../src/engines/deployment/plugins/local-process/net.js';
import { DeploymentSettings } from '../../../src/engines/deployment/settings.js';
import { envDir } from '../../../src/engines/shared/paths.js';
import { EnvState } from '../../../src/engines/shared/supervisor-api.js';
import { configureSandbox, probeIsolation } from '../../../src/sandbox/sandbox.js';
import { openSqliteDb } from '../../../src/store/db.js';
import { commitAll, initWorkspace } from '../../../src/workspace/git.js';
import { processesMentioning } from '../../fixtures/services/processes.js';
import { fixtureSpec, tempRoot } from '../../fixtures/services/workspace.js';
import { engineContext } from '../../helpers/engine-context.js';

// Issue 18, deployed-service finding: a generated service, once deployed, is hostile. It tries to
// read the API's JWT secret and the orchestrator's SQLite file (to forge an admin token and approve
// gates), list other workspaces, reach the host's loopback (a listener of this test, the
// environment's proxy) and the outside, and write outside its data dir. It reports what it managed
// through its own HTTP API; every attempt must fail while it keeps serving through the stable URL.

let root: string;
let home: string;
let workspace: string;
let otherWorkspace: string;
let listener: Server;
let listenerPort: number;
const listenerHits: string[] = [];
let productionPort: number;
let release: Release;

const settings = () =>
  DeploymentSettings.parse({
    environments: {
      staging: { healthTimeoutMs: 8_000 },
      production: { healthTimeoutMs: 8_000, port: productionPort },
    },
  });
const call = async (tool: string, input: Record<string, unknown>, key?: string) => {
  const handler = createDeploymentBrain({ home, settings: settings() })[tool];
  if (handler === undefined) throw new Error(`no ${tool}`);
  return handler(input, engineContext(key));
};

function hostileServer(targets: {
  home: string;
  workspace: string;
  otherWorkspace: string;
  listenerPort: number;
  proxyPort: number;
}): string {
  return `// A deployed service that attacks its host, then answers /health like an honest one.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';

const T = ${JSON.stringify(targets)};

function attempt(fn) {
  try {
    const detail = fn();
    return { ok: true, detail: String(detail).slice(0, 200) };
  } catch (e) {
    return { ok: false, detail: e.code ?? String(e) };
  }
}

function tcp(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.end('hello from the jail\\n');
      resolve({ ok: true, detail: 'connected' });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, detail: 'timeout' });
    });
    socket.once('error', (e) => resolve({ ok: false, detail: e.code ?? String(e) }));
  });
}

async function attack() {
  const out = {
    readJwtSecret: attempt(() => readFileSync(join(T.home, 'api-secret')).toString('hex')),
    readSqlite: attempt(() => readFileSync(join(T.home, 'powerauto.db')).length),
    listHome: attempt(() => readdirSync(T.home).join(',')),
    listWorkspaces: attempt(() => readdirSync(join(T.home, 'workspaces')).join(',')),
    readOtherWorkspace: attempt(() => readFileSync(join(T.otherWorkspace, 'secret.txt'), 'utf8')),
    readOwnWorkspace: attempt(() => readdirSync(T.workspace).join(',')),
    readSupervisorToken: attempt(() => readFileSync(join(process.env.DATA_DIR, '..', 'launch.json'), 'utf8')),
    writeReleaseDir: attempt(() => writeFileSync(new URL('./planted.mjs', import.meta.url), 'x')),
    writeHome: attempt(() => writeFileSync(join(T.home, 'planted'), 'x')),
    writeWorkspace: attempt(() => writeFileSync(join(T.workspace, 'planted'), 'x')),
    writeUsr: attempt(() => writeFileSync('/usr/planted', 'x')),
    writeEtc: attempt(() => writeFileSync('/etc/planted', 'x')),
    hostListener: await tcp('127.0.0.1', T.listenerPort),
    hostProxy: await tcp('127.0.0.1', T.proxyPort),
    outside: await tcp('1.1.1.1', 53),
  };
  // The controls: what the service is allowed to do.
  const control = {
    writeDataDir: attempt(() => {
      writeFileSync(join(process.env.DATA_DIR, 'state.txt'), 'mine');
      return readFileSync('./data/state.txt', 'utf8');
    }),
    uid: process.getuid(),
    envNames: Object.keys(process.env).sort(),
    home: process.env.HOME,
  };
  return { attacks: out, control };
}

const server = createServer(async (req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok' }));
    return;
  }
  if (req.url === '/attempts') {
    const body = JSON.stringify(await attack());
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  res.writeHead(404).end();
});
server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;
}

interface Attempt {
  ok: boolean;
  detail: string;
}
interface Report {
  attacks: Record<string, Attempt>;
  control: { writeDataDir: Attempt; uid: number; envNames: string[]; home: string };
}

beforeAll(async () => {
  root = await tempRoot('pa-deployed-attack-');
  home = join(root, 'home');
  await mkdir(home, { recursive: true, mode: 0o700 });
  // The orchestrator's secrets, made by the product's own code.
  loadOrCreateSecret(home);
  const db = await openSqliteDb(join(home, 'powerauto.db'));
  await db.destroy();
  otherWorkspace = join(home, 'workspaces', 'other-run');
  await mkdir(otherWorkspace, { recursive: true });
  await writeFile(join(otherWorkspace, 'secret.txt'), 'another run');

  listener = createServer((socket) => {
    listenerHits.push(socket.remoteAddress ?? '?');
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', () => resolve()));
  const address = listener.address();
  listenerPort = typeof address === 'object' && address !== null ? address.port : 0;
  productionPort = await freePort();

  workspace = join(home, 'workspaces', 'hostile-run');
  await initWorkspace(workspace);
  await writeFile(
    join(workspace, 'package.json'),
    `${JSON.stringify({ name: 'hostile-svc', version: '0.0.0', private: true, type: 'module', scripts: { start: 'node server.mjs' } }, null, 2)}\n`,
  );
  await writeFile(
    join(workspace, 'server.mjs'),
    hostileServer({ home, workspace, otherWorkspace, listenerPort, proxyPort: productionPort }),
  );
  await commitAll(workspace, 'coding: run hostile step coding attempt 1');
  release = Release.parse(
    await call('release_prepare', { workspace, requirements: fixtureSpec(1) }, 'hostile:release:1'),
  );
});

afterAll(async () => {
  configureSandbox('auto');
  await stopDeployments(home);
  expect(processesMentioning(home)).toEqual([]);
  listener.close();
  await rm(root, { recursive: true, force: true });
});

async function attempts(url: string): Promise<Report> {
  const res = await fetch(`${url}/attempts`, { signal: AbortSignal.timeout(20_000) });
  expect(res.status).toBe(200);
  return (await res.json()) as Report;
}

describe('a hostile deployed service (issue 18: deployed-service jail)', () => {
  it('can read no secret, reach no host port or outside address, write nowhere but its data dir, and still serves', async () => {
    const isolation = probeIsolation('auto');
    if (isolation.filesystem === 'none') throw new Error(`no jail on this host: ${isolation.reason}`);
    const deployed = Deployment.parse(
      await call('deploy', { workspace, release, environment: 'production' }, 'hostile:deploy:1'),
    );
    expect(deployed.url).toBe(`http://127.0.0.1:${productionPort}`);

    const report = await attempts(deployed.url);
    console.log(`[deployed attack] ${JSON.stringify(report.attacks)}`);
    // Listing POWERAUTO_HOME shows only the path down to its own release and data dir (the jail's
    // mount points), never the secret, the database or the workspaces.
    const { listHome, ...rest } = report.attacks;
    if (listHome?.ok) expect(listHome.detail.split(',')).toEqual(['deployments']);
    for (const [name, result] of Object.entries(rest)) {
      expect({ name, ...result }).toMatchObject({ name, ok: false });
    }
    expect(listenerHits).toEqual([]);
    // The one place it may write, also as ./data of the release.
    expect(report.control.writeDataDir).toEqual({ ok: true, detail: 'mine' });
    expect(
      await readFile(join(envDir(home, release.project, 'production'), 'data', 'state.txt'), 'utf8'),
    ).toBe('mine');
    // Its own uid, not the orchestrator's; none of the orchestrator's environment.
    expect(report.control.uid).not.toBe(process.getuid?.());
    expect(report.control.envNames).not.toContain('POWERAUTO_HOME');
    expect(report.control.home.startsWith(home)).toBe(false);

    // What held is in the deployment record and in the supervisor's state.
    expect(deployed.isolation).toMatchObject({
      mode: 'auto',
      filesystem: 'namespace',
      network: 'loopback',
      capabilities: 'dropped',
      processes: 'isolated',
      proc: 'private',
      user: isolation.user,
    });
    if (process.getuid?.() === 0) {
      expect(deployed.isolation?.uid).toBeGreaterThanOrEqual(200_000);
      expect(report.control.uid).toBe(deployed.isolation?.uid);
    }
    const state = EnvState.parse(
      JSON.parse(await readFile(join(envDir(home, release.project, 'production'), 'state.json'), 'utf8')),
    );
    expect(state.releases.at(-1)?.isolation?.mode).toBe('auto');

    // Health through the production URL, the monitoring scrape path and verification still work.
    const health = await fetch(`${deployed.url}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-powerauto-release')?.split('+')[0]).toBe('1.0.0');
    const verified = Deployment.parse(
      await call('deploy_verify', { workspace, deployment: deployed }, 'hostile:verify:1'),
    );
    expect(verified.metrics.healthStatus).toBe(200);
  });

  it('with sandbox: none the release runs unisolated, and the deployment record says so', async () => {
    configureSandbox('none');
    try {
      const deployed = Deployment.parse(
        await call('deploy', { workspace, release, environment: 'staging' }, 'hostile:deploy-none:1'),
      );
      expect(deployed.isolation).toMatchObject({
        mode: 'none',
        filesystem: 'none',
        network: 'host',
        user: 'inherited',
        uid: null,
      });
      // Unisolated means what it says: the secret is readable, which is why it must be a choice.
      const report = await attempts(deployed.url);
      expect(report.attacks.readJwtSecret?.ok).toBe(true);
      // The environment is scrubbed all the same.
      expect(report.control.envNames).not.toContain('POWERAUTO_HOME');
    } finally {
      configureSandbox('auto');
    }
  });
});
