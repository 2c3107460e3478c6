import type { TestPlan } from '../../../src/contracts/architecture.js';
import type { TestReport } from '../../../src/contracts/testing.js';
import { useI18n } from '../i18n.js';
import { arr, num, obj, str } from './util.js';

export function TestPlanView({ plan }: { plan: unknown }) {
  const p = obj(plan) as Partial<TestPlan>;
  return (
    <table data-testid="test-plan-view">
      <thead>
        <tr>
          <th>id</th>
          <th>name</th>
          <th>kind</th>
          <th>requirements</th>
        </tr>
      </thead>
      <tbody>
        {arr(p.cases).map((raw) => {
          const c = obj(raw);
          return (
            <tr key={str(c.id)}>
              <td>{str(c.id)}</td>
              <td>{str(c.name)}</td>
              <td>{str(c.kind)}</td>
              <td>{arr(c.requirementIds).map(str).join(', ')}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function TestReportView({ report }: { report: unknown }) {
  const { t } = useI18n();
  const r = obj(report) as Partial<TestReport>;
  const coverage = obj(r.coverage);
  return (
    <div data-testid="test-report-view">
      <p>
        {r.passed ? '✔ passed' : '✘ failed'} — {arr(r.tests).length} tests
      </p>
      <h3>{t('coverage')}</h3>
      <dl className="coverage">
        {(['lines', 'branches', 'functions'] as const).map((k) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              {num(coverage[k]) === null ? '—' : `${num(coverage[k])}%`}
              <meter min={0} max={100} value={num(coverage[k]) ?? 0} aria-label={k} />
            </dd>
          </div>
        ))}
      </dl>
      <h3>{t('traceability')}</h3>
      <table>
        <thead>
          <tr>
            <th>requirement</th>
            <th>tests</th>
            <th>status</th>
          </tr>
        </thead>
        <tbody>
          {arr(r.traceability).map((raw) => {
            const row = obj(raw);
            return (
              <tr key={str(row.requirementId)} className={str(row.status)}>
                <td>{str(row.requirementId)}</td>
                <td>{arr(row.testIds).map(str).join(', ')}</td>
                <td>{str(row.status)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <details>
        <summary>tests</summary>
        <ul>
          {arr(r.tests).map((raw) => {
            const x = obj(raw);
            return (
              <li key={str(x.id)} className={str(x.status)}>
                {str(x.status)} {str(x.name)} {x.error ? <pre>{str(x.error)}</pre> : null}
              </li>
            );
          })}
        </ul>
      </details>
    </div>
  );
}
