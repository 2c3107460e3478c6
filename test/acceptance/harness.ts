import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { designArchitecture } from '../../src/engines/architecture/design.js';
import { deriveTestPlan } from '../../src/engines/architecture/testplan.js';
import { generateCode } from '../../src/engines/coding/generate.js';
import { tempWorkspace, testContext } from '../../src/engines/coding/test-fixtures.js';
import { analyzeRequirements } from '../../src/engines/requirements/analyze.js';
import type { AcceptanceCase, Check, RuleKind, Step } from './corpus.js';

const run = promisify(execFile);

/** The requirements gate's coverage threshold: a run below it stops there. */
export const GATE_COVERAGE = 0.8;

export interface CheckResult {
  name: string;
  kind: RuleKind;
  passed: boolean;
  /** Why it failed: the step, what was expected and what came back. */
  reason: string | null;
}

export interface CaseResult {
  id: string;
  heldOut: boolean;
  coverage: number;
  /** Rules the analyser found, as `type` names; shows what a failing check was missing. */
  rules: string[];
  checks: CheckResult[];
}

/**
 * Generates the case's service offline through the engines the pipeline runs (requirements,
 * architecture with its test plan, coding), builds it with its own TypeScript, starts it on a fresh
 * SQLite file and runs the checks over HTTP. Stages are called directly, not through the
 * orchestrator, so a corpus of dozens runs in minutes.
 */
export async function runCase(c: AcceptanceCase): Promise<CaseResult> {
  const requirements = analyzeRequirements({ text: c.text });
  const coverage = requirements.metrics.sentenceCoverage ?? 0;
  const rules = requirements.requirements.flatMap((r) => (r.rule ? [r.rule.type] : []));
  const fail = (reason: string): CaseResult => ({
    id: c.id,
    heldOut: c.heldOut,
    coverage,
    rules,
    checks: c.checks.map((k) => ({ name: k.name, kind: k.kind, passed: false, reason })),
  });
  const architecture = designArchitecture(requirements, {}, []);
  const ws = await tempWorkspace('pa-accept-');
  try {
    await generateCode(
      { requirements, architecture, testPlan: deriveTestPlan(requirements), workspace: ws },
      testContext(),
    );
    try {
      await run(
        process.execPath,
        [join(ws, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
        {
          cwd: ws,
          timeout: 180_000,
        },
      );
    } catch (err) {
      return fail(
        `the generated service does not build: ${String((err as { stdout?: string }).stdout ?? err).slice(0, 400)}`,
      );
    }
    const service = await start(ws);
    try {
      const checks: CheckResult[] = [];
      for (const check of c.checks) checks.push(await runCheck(service.url, check));
      return { id: c.id, heldOut: c.heldOut, coverage, rules, checks };
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  } finally {
    await rm(ws, { recursive: true, force: true });
  }
}

interface Started {
  url: string;
  child: ChildProcess;
  exited: Promise<unknown>;
}

async function start(ws: string): Promise<Started> {
  const child = spawn(process.execPath, [join(ws, 'dist', 'src', 'main.js')], {
    cwd: ws,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: join(ws, 'data'),
      DATABASE_FILE: join(ws, 'data', 'service.db'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line: ${output.slice(-400)}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output.slice(-400)}`)));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const line = output.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(String((JSON.parse(line) as { url: string }).url));
      }
    });
  });
  return { url, child, exited };
}

type Saved = Map<string, Record<string, unknown>>;

/** `{p.id}` in strings, replaced by what earlier steps saved. */
function fill(value: unknown, saved: Saved): unknown {
  if (typeof value === 'string') {
    return value.replace(/\{([a-z][A-Za-z0-9]*)\.([A-Za-z0-9]+)\}/g, (_, name: string, key: string) =>
      String(saved.get(name)?.[key] ?? ''),
    );
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, saved));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, saved)]));
  return value;
}

async function send(url: string, step: Step, saved: Saved): Promise<{ status: number; body: unknown }> {
  const path = fill(step.request.path, saved) as string;
  const body = step.request.body === undefined ? undefined : JSON.stringify(fill(step.request.body, saved));
  const res = await fetch(`${url}${path}`, {
    method: step.request.method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: kept as text for the failure reason
  }
  return { status: res.status, body: parsed };
}

async function runCheck(url: string, check: Check): Promise<CheckResult> {
  const saved: Saved = new Map();
  const failed = (i: number, why: string): CheckResult => ({
    name: check.name,
    kind: check.kind,
    passed: false,
    reason: `step ${i + 1} ${check.steps[i]!.request.method} ${check.steps[i]!.request.path}: ${why}`,
  });
  for (const [i, step] of check.steps.entries()) {
    if (step.parallel !== undefined) {
      const answers = await Promise.all(Array.from({ length: step.parallel }, () => send(url, step, saved)));
      const got = answers.filter((a) => a.status === step.status).length;
      if (got !== (step.expectCount ?? step.parallel))
        return failed(i, `${got} of ${step.parallel} answered ${step.status}, expected ${step.expectCount}`);
      continue;
    }
    const answer = await send(url, step, saved);
    const detail = JSON.stringify(answer.body).slice(0, 300);
    if (answer.status !== step.status)
      return failed(i, `status ${answer.status}, expected ${step.status}: ${detail}`);
    const body = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as Record<
      string,
      unknown
    >;
    for (const [key, want] of Object.entries(step.body ?? {})) {
      if (JSON.stringify(body[key]) !== JSON.stringify(want))
        return failed(i, `${key} is ${JSON.stringify(body[key])}, expected ${JSON.stringify(want)}`);
    }
    if (step.save !== undefined) saved.set(step.save, body);
  }
  return { name: check.name, kind: check.kind, passed: true, reason: null };
}

/** Pass rates per rule kind and overall, for the tuned and the held-out part apart. */
export function summarise(results: CaseResult[]) {
  const rate = (checks: CheckResult[]) =>
    checks.length === 0 ? null : Number((checks.filter((c) => c.passed).length / checks.length).toFixed(3));
  const part = (heldOut: boolean) => {
    const checks = results.filter((r) => r.heldOut === heldOut).flatMap((r) => r.checks);
    const kinds = [...new Set(checks.map((c) => c.kind))].sort();
    return {
      cases: results.filter((r) => r.heldOut === heldOut).length,
      checks: checks.length,
      overall: rate(checks),
      byKind: Object.fromEntries(kinds.map((k) => [k, rate(checks.filter((c) => c.kind === k))])),
      belowGateCoverage: results
        .filter((r) => r.heldOut === heldOut && r.coverage < GATE_COVERAGE)
        .map((r) => r.id),
    };
  };
  return { tuned: part(false), heldOut: part(true) };
}
