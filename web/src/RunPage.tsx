import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiProblem, type Artifact, api, type RunView, type Session, type Step, watchRun } from './api.js';
import { type MessageKey, useI18n } from './i18n.js';
import { ArchitectureView } from './viewers/Architecture.js';
import { CodeView } from './viewers/Code.js';
import { ReleaseView } from './viewers/Release.js';
import { RequirementsView } from './viewers/Requirements.js';
import { TestPlanView, TestReportView } from './viewers/Testing.js';

function duration(step: Step): string {
  if (!step.startedAt) return '';
  const end = step.finishedAt ? Date.parse(step.finishedAt) : Date.now();
  const ms = Math.max(0, end - Date.parse(step.startedAt));
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Columns by longest dependency path, so the DAG reads left to right. */
function layout(steps: Step[]): Map<string, { col: number; row: number }> {
  const level = new Map<string, number>();
  const depth = (key: string, seen: Set<string>): number => {
    const known = level.get(key);
    if (known !== undefined) return known;
    const step = steps.find((s) => s.key === key);
    if (!step || seen.has(key)) return 0;
    seen.add(key);
    const d = step.dependsOn.length === 0 ? 0 : 1 + Math.max(...step.dependsOn.map((k) => depth(k, seen)));
    level.set(key, d);
    return d;
  };
  const rows = new Map<number, number>();
  const out = new Map<string, { col: number; row: number }>();
  for (const step of steps) {
    const col = depth(step.key, new Set());
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    out.set(step.key, { col, row });
  }
  return out;
}

const W = 150;
const H = 58;
const GX = 40;
const GY = 16;

function Dag({ steps }: { steps: Step[] }) {
  const { t } = useI18n();
  const pos = layout(steps);
  const cols = Math.max(0, ...[...pos.values()].map((p) => p.col)) + 1;
  const rows = Math.max(0, ...[...pos.values()].map((p) => p.row)) + 1;
  const width = cols * (W + GX);
  const height = rows * (H + GY);
  const at = (key: string) => pos.get(key) ?? { col: 0, row: 0 };
  return (
    <div className="dag" style={{ width, height }} data-testid="dag">
      <svg width={width} height={height} aria-hidden="true">
        {steps.flatMap((s) =>
          s.dependsOn.map((d) => {
            const a = at(d);
            const b = at(s.key);
            const x1 = a.col * (W + GX) + W;
            const y1 = a.row * (H + GY) + H / 2;
            const x2 = b.col * (W + GX);
            const y2 = b.row * (H + GY) + H / 2;
            return (
              <path key={`${d}-${s.key}`} d={`M${x1},${y1} C${x1 + 20},${y1} ${x2 - 20},${y2} ${x2},${y2}`} />
            );
          }),
        )}
      </svg>
      {steps.map((s) => {
        const p = at(s.key);
        return (
          <div
            key={s.key}
            className={`node ${s.status}`}
            style={{ left: p.col * (W + GX), top: p.row * (H + GY), width: W, height: H }}
            data-testid={`step-${s.key}`}
            data-status={s.status}
            title={s.error ?? undefined}
          >
            <span className="key">{s.key}</span>
            <span className="state">{s.status}</span>
            <span className="meta">
              {duration(s)}
              {s.attempt > 1 ? ` · ${s.attempt} ${t('attempt')}` : ''}
            </span>
          </div>
        );
      })}
    </div>
  );
}

const REVIEWS: Record<string, string> = {
  'gate:requirements': 'requirements',
  'gate:architecture': 'architecture',
  'gate:code_review': 'coding',
  'gate:release': 'verify_staging',
};

function GatePanel({
  view,
  step,
  artifact,
  onDone,
}: {
  view: RunView;
  step: Step;
  artifact: Artifact | undefined;
  onDone(): void;
}) {
  const { t } = useI18n();
  const gate = step.key.replace(/^gate:/, '');
  const [feedback, setFeedback] = useState('');
  const [comment, setComment] = useState('');
  const [editing, setEditing] = useState(false);
  const [edited, setEdited] = useState(() => JSON.stringify(artifact?.content ?? {}, null, 2));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const decide = async (path: string, body: unknown) => {
    setBusy(true);
    setError(null);
    try {
      await api(`/runs/${view.run.id}/gates/${gate}/${path}`, { method: 'POST', body });
      setFeedback('');
      setEditing(false);
      onDone();
    } catch (err) {
      setError(err instanceof ApiProblem ? err.problem.detail : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="gate" aria-labelledby="gate-title" data-testid={`gate-panel-${gate}`}>
      <h2 id="gate-title">
        {t('waitingAt')} <code>{step.key}</code>
      </h2>
      {step.error && <p className="warn">{step.error}</p>}
      <label>
        {t('comment')}
        <input name="comment" value={comment} onChange={(e) => setComment(e.target.value)} />
      </label>
      <div className="row">
        <button
          type="button"
          disabled={busy}
          data-testid="approve"
          onClick={() => decide('approve', comment ? { comment } : {})}
        >
          {t('approve')}
        </button>
        <button type="button" disabled={busy} onClick={() => setEditing(!editing)} aria-expanded={editing}>
          {t('edit')}
        </button>
      </div>
      <label>
        {t('feedback')}
        <textarea name="feedback" rows={3} value={feedback} onChange={(e) => setFeedback(e.target.value)} />
      </label>
      <button
        type="button"
        disabled={busy || feedback.trim().length === 0}
        data-testid="reject"
        onClick={() => decide('reject', { feedback })}
      >
        {t('reject')}
      </button>
      {editing && (
        <div className="editor">
          <label>
            {t('edit')} (JSON)
            <textarea
              name="edited"
              className="json"
              rows={18}
              spellCheck={false}
              value={edited}
              onChange={(e) => setEdited(e.target.value)}
            />
          </label>
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              try {
                void decide('approve', {
                  edited: JSON.parse(edited) as unknown,
                  ...(comment ? { comment } : {}),
                });
              } catch (err) {
                setError(`JSON: ${(err as Error).message}`);
              }
            }}
          >
            {t('approveEdited')}
          </button>
        </div>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}

const TABS: { step: string; label: MessageKey }[] = [
  { step: 'requirements', label: 'requirements' },
  { step: 'architecture', label: 'architecture' },
  { step: 'test_plan', label: 'testPlan' },
  { step: 'coding', label: 'code' },
  { step: 'testing', label: 'tests' },
  { step: 'release', label: 'release' },
];

export function RunPage({ runId, session }: { runId: string; session: Session }) {
  const { t } = useI18n();
  const [view, setView] = useState<RunView | null>(null);
  const [artifacts, setArtifacts] = useState<Artifact[]>([]);
  const [live, setLive] = useState(false);
  const [tab, setTab] = useState('requirements');
  const [error, setError] = useState<string | null>(null);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const refresh = useCallback(async () => {
    try {
      const [v, a] = await Promise.all([
        api<RunView>(`/runs/${runId}`),
        api<{ artifacts: Artifact[] }>(`/runs/${runId}/artifacts`),
      ]);
      setView(v);
      setArtifacts(a.artifacts);
    } catch (err) {
      setError(err instanceof ApiProblem ? err.problem.detail : String(err));
    }
  }, [runId]);

  useEffect(() => {
    void refresh();
    // Every event refreshes the view (debounced); the socket resumes from the last seq it saw.
    const stop = watchRun(
      runId,
      () => {
        clearTimeout(pending.current);
        pending.current = setTimeout(() => void refresh(), 120);
      },
      setLive,
    );
    const tick = setInterval(() => setView((v) => (v ? { ...v } : v)), 1_000);
    return () => {
      stop();
      clearInterval(tick);
      clearTimeout(pending.current);
    };
  }, [runId, refresh]);

  const latest = useMemo(() => {
    const byStep = new Map<string, Artifact>();
    for (const a of artifacts) {
      const current = byStep.get(a.stepKey);
      if (!current || a.version > current.version) byStep.set(a.stepKey, a);
    }
    return byStep;
  }, [artifacts]);

  if (error)
    return (
      <p role="alert" className="error">
        {error}
      </p>
    );
  if (!view) return <p>{t('loading')}</p>;
  const done = view.steps.filter((s) => ['succeeded', 'skipped'].includes(s.status)).length;
  const waiting = view.steps.filter((s) => s.status === 'waiting_approval');
  const canDecide = session.permissions.includes('gates:decide');
  // Gates the policy passed: nobody reviewed them, and the page says so.
  const autoPassed = view.approvals.filter((a) => a.actor === 'policy:auto').map((a) => a.stepKey);
  const canRun = session.permissions.includes('runs:write');
  const shown = TABS.filter((tb) => latest.has(tb.step));

  return (
    <div className="run">
      <h1>
        {view.project.name} <small>{view.run.id}</small>
      </h1>
      <p>
        {t('status')}:{' '}
        <span className={`badge ${view.run.status}`} data-testid="run-status">
          {view.run.status}
        </span>{' '}
        <span className={live ? 'live' : 'offline'} data-testid="live">
          {live ? t('live') : t('offline')}
        </span>
        {view.run.error && <span className="error"> {view.run.error}</span>}
      </p>
      {autoPassed.length > 0 && (
        <p className="warn" data-testid="auto-approved">
          {t('autoApproved')}: {autoPassed.map((k) => k.replace(/^gate:/, '')).join(', ')}
          {view.run.options.autoApproval && ` (${t('autoApprovedBy')} ${view.run.options.autoApproval.by})`}
        </p>
      )}
      <label className="progress">
        {t('progress')} {done}/{view.steps.length}
        <progress max={view.steps.length} value={done} />
      </label>
      {canRun && (
        <div className="row">
          {['failed', 'paused'].includes(view.run.status) && (
            <button
              type="button"
              onClick={() => void api(`/runs/${runId}/resume`, { method: 'POST' }).then(refresh)}
            >
              {t('resume')}
            </button>
          )}
          {!['succeeded', 'cancelled', 'failed'].includes(view.run.status) && (
            <button
              type="button"
              onClick={() => void api(`/runs/${runId}/cancel`, { method: 'POST' }).then(refresh)}
            >
              {t('cancelRun')}
            </button>
          )}
        </div>
      )}
      <h2>{t('pipeline')}</h2>
      <Dag steps={view.steps} />
      {canDecide &&
        waiting.map((step) => (
          <GatePanel
            key={`${step.key}-${latest.get(REVIEWS[step.key] ?? step.key)?.id ?? ''}`}
            view={view}
            step={step}
            artifact={latest.get(REVIEWS[step.key] ?? step.key)}
            onDone={() => void refresh()}
          />
        ))}
      <h2>{t('artifacts')}</h2>
      <div role="tablist" aria-label={t('artifacts')} className="tabs">
        {shown.map((tb) => (
          <button
            key={tb.step}
            type="button"
            role="tab"
            aria-selected={tab === tb.step}
            data-testid={`tab-${tb.step}`}
            onClick={() => setTab(tb.step)}
          >
            {t(tb.label)}
            {(latest.get(tb.step)?.version ?? 1) > 1 ? ` v${latest.get(tb.step)?.version}` : ''}
          </button>
        ))}
      </div>
      <div role="tabpanel" className="panel">
        {tab === 'requirements' && latest.get('requirements') && (
          <RequirementsView spec={latest.get('requirements')!.content} />
        )}
        {tab === 'architecture' && latest.get('architecture') && (
          <ArchitectureView spec={latest.get('architecture')!.content} />
        )}
        {tab === 'test_plan' && latest.get('test_plan') && (
          <TestPlanView plan={latest.get('test_plan')!.content} />
        )}
        {tab === 'coding' && latest.get('coding') && <CodeView runId={runId} artifacts={artifacts} />}
        {tab === 'testing' && latest.get('testing') && (
          <TestReportView report={latest.get('testing')!.content} />
        )}
        {tab === 'release' && latest.get('release') && (
          <ReleaseView
            runId={runId}
            release={latest.get('release')!.content}
            artifacts={artifacts}
            session={session}
          />
        )}
      </div>
    </div>
  );
}
