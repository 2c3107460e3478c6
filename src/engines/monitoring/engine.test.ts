import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Alert } from '../../contracts/monitoring.js';
import type { EngineToolContext } from '../brain.js';
import { relayProgress } from './engine.js';
import { writeMonitorFile } from './store.js';

const at = (ms: number) => new Date(ms).toISOString();

function alert(id: string, firedAt: number, resolvedAt: number | null): Alert {
  return {
    id,
    rule: `rule_${id}`,
    severity: 'critical',
    state: resolvedAt === null ? 'firing' : 'resolved',
    message: `message ${id}`,
    environment: 'production',
    version: '1.1.0',
    value: 1,
    threshold: 0.01,
    firedAt: at(firedAt),
    resolvedAt: resolvedAt === null ? null : at(resolvedAt),
  };
}

it('relays what happened since the call began, a firing the poll missed included, each once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pa-relay-'));
  try {
    const since = Date.now();
    await writeMonitorFile(dir, 'alerts', [
      alert('old', since - 60_000, since - 50_000),
      alert('before', since - 60_000, null),
      // Fired and resolved between two polls: the files only show it resolved.
      alert('quick', since + 100, since + 300),
    ]);
    await writeMonitorFile(dir, 'actions', [
      { at: at(since - 40_000), type: 'restart', ok: true, detail: 'old restart', durationMs: 5 },
      { at: at(since + 200), type: 'rollback', ok: true, detail: 'to 1.0.0', durationMs: 20 },
    ]);
    const messages: string[] = [];
    const ctx: EngineToolContext = {
      idempotencyKey: undefined,
      signal: new AbortController().signal,
      progress: async (_p, _t, m) => {
        if (m !== undefined) messages.push(m);
      },
    };
    const seen = new Set<string>();
    await relayProgress(dir, seen, ctx, since, 6_000);
    await relayProgress(dir, seen, ctx, since, 6_000);
    expect(messages).toEqual([
      'alert firing: rule_before (critical) message before',
      'alert firing: rule_quick (critical) message quick',
      'alert resolved: rule_quick (critical) message quick',
      'rollback done: to 1.0.0',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
