import { useCallback, useEffect, useState } from 'react';
import {
  ApiProblem,
  api,
  type DeploymentEntry,
  type EngineRow,
  type MonitoringView,
  metricsText,
} from './api.js';
import { LineChart } from './Chart.js';
import { useI18n } from './i18n.js';

function Monitoring({ deployment }: { deployment: DeploymentEntry }) {
  const { t } = useI18n();
  const [view, setView] = useState<MonitoringView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setView(
        await api<MonitoringView>(`/deployments/${deployment.runId}/${deployment.environment}/monitoring`),
      );
      setError(null);
    } catch (err) {
      setError(err instanceof ApiProblem ? err.problem.detail : String(err));
    }
  }, [deployment.runId, deployment.environment]);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 5_000);
    return () => clearInterval(timer);
  }, [load]);
  const series = view?.series ?? [];
  const pick = (k: 'requestRate' | 'errorRate' | 'p95Ms') =>
    series.flatMap((s) => (s[k] === null ? [] : [{ t: Date.parse(s.at), v: s[k] as number }]));
  const healthy = series.at(-1)?.healthy;
  return (
    <section
      className="deployment"
      data-testid={`deployment-${deployment.environment}`}
      aria-label={`${deployment.environment} ${deployment.runId}`}
    >
      <h3>
        {deployment.environment} · {deployment.version} ·{' '}
        {deployment.url && (
          <a
            href={deployment.url}
            target="_blank"
            rel="noreferrer"
            data-testid={`open-${deployment.environment}`}
          >
            {deployment.url}
          </a>
        )}{' '}
        <span className={`badge ${deployment.status}`}>{deployment.status}</span>{' '}
        <span>
          {t('health')}: {healthy === undefined || healthy === null ? '—' : healthy ? '✔' : '✘'}
        </span>
      </h3>
      {error && (
        <p className="muted">
          {t('notAvailable')}: {error}
        </p>
      )}
      {view && (
        <>
          <div className="charts">
            <LineChart title={t('requestRate')} points={pick('requestRate')} />
            <LineChart
              title={t('errorRate')}
              points={pick('errorRate')}
              format={(v) => `${(v * 100).toFixed(2)}%`}
            />
            <LineChart title={t('latency')} points={pick('p95Ms')} format={(v) => `${v.toFixed(0)} ms`} />
          </div>
          <h4>{t('alerts')}</h4>
          <ul>
            {view.alerts.length === 0 && <li>{t('none')}</li>}
            {view.alerts.map((a) => (
              <li key={`${String(a.id)}-${String(a.firedAt)}`} className={String(a.state)}>
                [{String(a.severity)}] {String(a.rule)}: {String(a.message)} ({String(a.state)})
              </li>
            ))}
          </ul>
          <h4>{t('remediation')}</h4>
          <ul>
            {view.actions.length === 0 && <li>{t('none')}</li>}
            {view.actions.map((a) => (
              <li key={`${String(a.at)}-${String(a.type)}-${String(a.detail)}`}>
                {String(a.at)} {String(a.type)} {a.ok ? '✔' : '✘'} {String(a.detail)}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function parseMetrics(text: string): { name: string; value: string }[] {
  return text
    .split('\n')
    .filter((l) => /^powerauto_(runs|queue_depth|engine_calls_total)/.test(l))
    .map((l) => {
      const i = l.lastIndexOf(' ');
      return { name: l.slice(0, i), value: l.slice(i + 1) };
    });
}

export function AdminBoard() {
  const { t } = useI18n();
  const [deployments, setDeployments] = useState<DeploymentEntry[]>([]);
  const [engines, setEngines] = useState<EngineRow[]>([]);
  const [queueDepth, setQueueDepth] = useState(0);
  const [metrics, setMetrics] = useState<{ name: string; value: string }[]>([]);
  useEffect(() => {
    const load = async () => {
      const [d, e, m] = await Promise.all([
        api<{ deployments: DeploymentEntry[] }>('/deployments'),
        api<{ engines: EngineRow[]; queueDepth: number }>('/engines'),
        metricsText(),
      ]);
      setDeployments(d.deployments);
      setEngines(e.engines);
      setQueueDepth(e.queueDepth);
      setMetrics(parseMetrics(m));
    };
    void load().catch(() => {});
    const timer = setInterval(() => void load().catch(() => {}), 5_000);
    return () => clearInterval(timer);
  }, []);
  const live = deployments;
  return (
    <div className="admin" data-testid="adminboard">
      <h1>{t('admin')}</h1>
      <h2>{t('deployments')}</h2>
      {live.length === 0 && <p data-testid="no-deployments">{t('noDeployments')}</p>}
      {live.map((d) => (
        <Monitoring key={`${d.runId}-${d.environment}`} deployment={d} />
      ))}
      <h2>{t('engines')}</h2>
      <table data-testid="engines">
        <thead>
          <tr>
            <th>name</th>
            <th>role</th>
            <th>{t('health')}</th>
            <th>{t('breaker')}</th>
            <th>in flight</th>
            <th>restarts</th>
            <th>last error</th>
          </tr>
        </thead>
        <tbody>
          {engines.map((e) => (
            <tr key={e.instance}>
              <td>{e.instance}</td>
              <td>{e.role}</td>
              <td className={e.health}>{e.health}</td>
              <td className={e.breaker}>{e.breaker}</td>
              <td>{e.inFlight}</td>
              <td>{e.restarts}</td>
              <td>{e.lastError}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t('orchestrator')}</h2>
      <p>queue depth: {queueDepth}</p>
      <table data-testid="orchestrator-metrics">
        <tbody>
          {metrics.map((m) => (
            <tr key={m.name}>
              <td>
                <code>{m.name}</code>
              </td>
              <td>{m.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
