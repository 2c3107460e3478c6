import type { ArchitectureSpec } from '../../../src/contracts/architecture.js';
import { useI18n } from '../i18n.js';
import { Mermaid } from './Mermaid.js';
import { arr, obj, str } from './util.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Operations from the OpenAPI document itself, so a replacement engine without `endpoints` still shows. */
function operations(api: Record<string, unknown>) {
  const out: { method: string; path: string; operationId: string; summary: string }[] = [];
  for (const [path, item] of Object.entries(obj(api.paths))) {
    for (const [method, op] of Object.entries(obj(item))) {
      if (!METHODS.includes(method)) continue;
      out.push({ method, path, operationId: str(obj(op).operationId), summary: str(obj(op).summary) });
    }
  }
  return out;
}

export function ArchitectureView({ spec }: { spec: unknown }) {
  const { t } = useI18n();
  const s = obj(spec) as Partial<ArchitectureSpec>;
  const pattern = obj(s.pattern);
  const diagrams = Object.entries(obj(s.diagrams)).filter(
    (e): e is [string, string] => typeof e[1] === 'string',
  );
  return (
    <div className="architecture" data-testid="architecture-view">
      <p>
        <b>{str(pattern.name)}</b> — {str(pattern.rationale)}
      </p>
      {arr(s.openQuestions).length > 0 && (
        <section className="questions">
          <h3>{t('openQuestions')}</h3>
          <ul>
            {arr(s.openQuestions).map((q) => (
              <li key={str(q)}>
                <mark>{str(q)}</mark>
              </li>
            ))}
          </ul>
        </section>
      )}
      <h3>{t('diagrams')}</h3>
      <div className="diagrams">
        {diagrams.slice(0, 6).map(([name, source]) => (
          <Mermaid key={name} title={name} source={source} />
        ))}
      </div>
      <h3>{t('components')}</h3>
      <ul>
        {arr(s.components).map((raw) => {
          const c = obj(raw);
          return (
            <li key={str(c.name)}>
              <b>{str(c.name)}</b>: {str(c.responsibility)}{' '}
              <small>{arr(c.requirementIds).map(str).join(' ')}</small>
            </li>
          );
        })}
      </ul>
      <h3>{t('operations')}</h3>
      <table data-testid="operations">
        <thead>
          <tr>
            <th>method</th>
            <th>path</th>
            <th>operationId</th>
            <th>summary</th>
          </tr>
        </thead>
        <tbody>
          {operations(obj(s.api)).map((op) => (
            <tr key={`${op.method} ${op.path}`}>
              <td>
                <code>{op.method.toUpperCase()}</code>
              </td>
              <td>
                <code>{op.path}</code>
              </td>
              <td>{op.operationId}</td>
              <td>{op.summary}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t('decisions')}</h3>
      {arr(s.decisions).map((raw) => {
        const d = obj(raw);
        return (
          <details key={str(d.id)}>
            <summary>
              {str(d.id)} {str(d.title)}
            </summary>
            <p>
              <b>Context:</b> {str(d.context)}
            </p>
            <p>
              <b>Decision:</b> {str(d.decision)}
            </p>
            <p>
              <b>Consequences:</b> {str(d.consequences)}
            </p>
          </details>
        );
      })}
    </div>
  );
}
