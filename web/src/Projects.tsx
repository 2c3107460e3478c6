import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiProblem, api, type Project, type Run, type Session } from './api.js';
import { useI18n } from './i18n.js';

const GATES = ['requirements', 'architecture', 'code_review', 'release'] as const;

export function Projects({ session }: { session: Session }) {
  const { t } = useI18n();
  const [projects, setProjects] = useState<Project[]>([]);
  const [runs, setRuns] = useState<Run[]>([]);
  const [requirement, setRequirement] = useState('');
  const [template, setTemplate] = useState('full');
  const [policies, setPolicies] = useState<Record<string, 'required' | 'auto'>>({});
  const [error, setError] = useState<string | null>(null);
  const canStart = session.permissions.includes('runs:write');
  // The server refuses automatic gates to anyone but an admin; do not offer what would fail.
  const canAutoGate = session.permissions.includes('gates:auto');

  const refresh = useCallback(async () => {
    const [p, r] = await Promise.all([
      api<{ projects: Project[] }>('/projects'),
      api<{ runs: Run[] }>('/runs?limit=100'),
    ]);
    setProjects(p.projects);
    setRuns(r.runs);
  }, []);
  useEffect(() => {
    void refresh().catch(() => {});
    const timer = setInterval(() => void refresh().catch(() => {}), 5_000);
    return () => clearInterval(timer);
  }, [refresh]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const run = await api<Run>('/runs', {
        method: 'POST',
        body: { requirement, template, options: { gatePolicies: policies } },
      });
      location.hash = `#/runs/${run.id}`;
    } catch (err) {
      setError(err instanceof ApiProblem ? err.problem.detail : String(err));
    }
  };

  return (
    <div className="projects">
      {canStart && (
        <section aria-labelledby="new-project">
          <h2 id="new-project">{t('newProject')}</h2>
          <form onSubmit={submit} data-testid="new-project-form">
            <label>
              {t('requirement')}
              <textarea
                name="requirement"
                rows={5}
                value={requirement}
                onChange={(e) => setRequirement(e.target.value)}
                required
              />
            </label>
            <div className="row">
              <label>
                {t('template')}
                <select name="template" value={template} onChange={(e) => setTemplate(e.target.value)}>
                  <option value="full">full</option>
                  <option value="design">design</option>
                  <option value="prototype">prototype</option>
                </select>
              </label>
              {canAutoGate && (
                <fieldset>
                  <legend>{t('gatePolicies')}</legend>
                  {GATES.map((gate) => (
                    <label key={gate}>
                      {gate}{' '}
                      <select
                        name={`gate-${gate}`}
                        value={policies[gate] ?? 'required'}
                        onChange={(e) =>
                          setPolicies({ ...policies, [gate]: e.target.value as 'required' | 'auto' })
                        }
                      >
                        <option value="required">{t('required')}</option>
                        <option value="auto">{t('auto')}</option>
                      </select>
                    </label>
                  ))}
                </fieldset>
              )}
            </div>
            {error && (
              <p role="alert" className="error">
                {error}
              </p>
            )}
            <button type="submit">{t('start')}</button>
          </form>
        </section>
      )}
      <section aria-labelledby="project-list">
        <h2 id="project-list">{t('projects')}</h2>
        {runs.length === 0 && <p>{t('noRuns')}</p>}
        <ul className="project-list" data-testid="project-list">
          {projects.map((project) => (
            <li key={project.id}>
              <strong>{project.name}</strong>
              <ul>
                {runs
                  .filter((r) => r.projectId === project.id)
                  .map((run) => (
                    <li key={run.id}>
                      <a href={`#/runs/${run.id}`}>{run.id}</a>{' '}
                      <span className={`badge ${run.status}`}>{run.status}</span>{' '}
                      <time dateTime={run.createdAt}>{new Date(run.createdAt).toLocaleString()}</time>
                    </li>
                  ))}
              </ul>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
