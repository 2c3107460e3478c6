import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASSETTE, META, REQUIREMENT, replayConfig } from '../fixtures/llm/full-run.js';
import { powerauto } from '../helpers/cli.js';

/**
 * A full `powerauto run` with all six engines on the replay provider, from a committed cassette recorded
 * by test/fixtures/llm/record-full-run.ts from a real model on the real llama.cpp path: the tiny
 * random-weight GGUF (the only model that runs here, no network). Its grammar-constrained output is a
 * valid JSON prefix but never closes its first string within max tokens, so the requirements engine's
 * LLM brain rejects it (fallback: 'fail') and the run fails there: the model's output is held to the same
 * schema and evidence as anything else. Passing cassettes need a real model (record with a real GGUF or
 * an OpenAI-compatible endpoint: see the recorder's header).
 */
let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'pa-replay-'));
  await writeFile(
    join(home, 'config.json'),
    JSON.stringify({ ...replayConfig(), scheduler: { backoffBaseMs: 10, backoffMaxMs: 20 } }),
  );
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('replay full run (cassette from the tiny llama.cpp model)', () => {
  it('the cassette is a real recording, not edited', () => {
    const meta = JSON.parse(readFileSync(META, 'utf8')) as Record<string, unknown>;
    expect(meta.handEdited).toBe(false);
    expect(String(meta.recordedWith)).toMatch(/llama-cpp/);
    const cassette = JSON.parse(readFileSync(CASSETTE, 'utf8')) as {
      entries: Record<
        string,
        { provider: string; result: { stopReason: string; usage: { outputTokens: number } } }
      >;
    };
    const entries = Object.values(cassette.entries);
    expect(entries.length).toBe(meta.entries);
    expect(entries.every((e) => e.provider === 'llama-cpp')).toBe(true);
  });

  it('runs offline from the cassette and stops where the recorded output fails validation', async () => {
    // CI set: a request the cassette does not hold is an error, never a live call.
    const r = await powerauto(home, ['run', REQUIREMENT, '--yes', '--json'], { env: { CI: '1' } });
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout) as {
      status: string;
      steps: { key: string; status: string; attempts: number; error: string | null }[];
    };
    expect(summary.status).toBe('failed');
    const req = summary.steps.find((s) => s.key === 'requirements')!;
    expect(req.status).toBe('failed');
    expect(req.error).toMatch(/tape\/tiny-random-llama.*LLM_OUTPUT_INVALID.*cut off at max tokens/);
    expect(req.error).not.toMatch(/CASSETTE_MISS/);
    // Nothing downstream ran on invalid output, and nothing fell back to the offline brain silently.
    expect(summary.steps.filter((s) => s.key !== 'requirements').every((s) => s.status === 'pending')).toBe(
      true,
    );
  }, 60_000);
});
