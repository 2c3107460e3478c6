import { useState } from 'react';
import { ApiProblem, type Artifact, api, type Session } from '../api.js';
import { useI18n } from '../i18n.js';
import { obj, str } from './util.js';

export function ReleaseView({
  runId,
  release,
  artifacts,
  session,
}: {
  runId: string;
  release: unknown;
  artifacts: Artifact[];
  session: Session;
}) {
  const { t } = useI18n();
  const r = obj(release);
  const [message, setMessage] = useState<string | null>(null);
  const deployments = ['deploy_staging', 'verify_staging', 'deploy_production']
    .map((key) => artifacts.filter((a) => a.stepKey === key).at(-1))
    .filter((a): a is Artifact => a !== undefined);
  const byEnv = new Map<string, Record<string, unknown>>();
  for (const a of deployments) {
    const d = obj(a.content);
    byEnv.set(str(d.environment) || (a.stepKey === 'deploy_production' ? 'production' : 'staging'), d);
  }
  const rollback = async (environment: string) => {
    setMessage(null);
    try {
      await api(`/deployments/${runId}/${environment}/rollback`, { method: 'POST', body: {} });
      setMessage(`${environment}: rolled back`);
    } catch (err) {
      setMessage(err instanceof ApiProblem ? err.problem.detail : String(err));
    }
  };
  return (
    <div data-testid="release-view">
      <p>
        {t('version')} <b>{str(r.version)}</b> <code>{str(r.tag)}</code>
      </p>
      <h3>{t('notes')}</h3>
      <pre className="notes">{str(r.notes)}</pre>
      <h3>{t('deployments')}</h3>
      <ul>
        {[...byEnv.entries()].map(([env, d]) => (
          <li key={env}>
            <b>{env}</b> {str(d.status)} {str(d.version)}{' '}
            {str(d.url) && (
              <a href={str(d.url)} target="_blank" rel="noreferrer" data-testid={`url-${env}`}>
                {str(d.url)}
              </a>
            )}{' '}
            {session.permissions.includes('deployments:write') && (
              <button type="button" onClick={() => void rollback(env)}>
                {t('rollback')} {env}
              </button>
            )}
          </li>
        ))}
      </ul>
      {message && <p role="status">{message}</p>}
    </div>
  );
}
