import { BusinessRule, type RequirementsSpec } from '../../../src/contracts/requirements.js';
import { ruleSentence } from '../../../src/contracts/rule-sentence.js';
import { useI18n } from '../i18n.js';
import { arr, obj, str } from './util.js';

type Req = RequirementsSpec['requirements'][number];

/** The rule the code will check, as a sentence, so the reviewer confirms what will run. */
function RuleLine({ rule, language }: { rule: unknown; language: 'en' | 'zh' }) {
  const parsed = BusinessRule.safeParse(rule);
  if (!parsed.success) return null;
  return (
    <div className="rule" data-testid="rule-sentence">
      <small>
        {parsed.data.type}: {ruleSentence(parsed.data, language)}
      </small>
    </div>
  );
}

export function RequirementsView({ spec }: { spec: unknown }) {
  const { t } = useI18n();
  const s = obj(spec) as Partial<RequirementsSpec>;
  const questions = arr(s.openQuestions).map(str);
  return (
    <div className="requirements" data-testid="requirements-view">
      <p>{str(s.summary)}</p>
      {questions.length > 0 && (
        <section className="questions" aria-labelledby="oq">
          <h3 id="oq">
            {t('openQuestions')} ({questions.length})
          </h3>
          <ul>
            {questions.map((q) => (
              <li key={q}>
                <mark>{q}</mark>
              </li>
            ))}
          </ul>
        </section>
      )}
      <h3>{t('requirements')}</h3>
      <table>
        <thead>
          <tr>
            <th>id</th>
            <th>kind</th>
            <th>priority</th>
            <th>text</th>
            <th>{t('acceptance')}</th>
          </tr>
        </thead>
        <tbody>
          {arr(s.requirements).map((raw) => {
            const r = obj(raw) as Partial<Req>;
            return (
              <tr key={str(r.id)}>
                <td>{str(r.id)}</td>
                <td>{str(r.kind)}</td>
                <td>{str(r.priority)}</td>
                <td>
                  {str(r.text)}
                  <RuleLine rule={r.rule} language={s.language === 'zh' ? 'zh' : 'en'} />
                </td>
                <td>
                  <ul>
                    {arr(r.acceptanceCriteria).map((ac) => {
                      const a = obj(ac);
                      return (
                        <li key={str(a.id)}>
                          <b>{str(a.id)}</b> Given {str(a.given)}, when {str(a.when)}, then {str(a.then)}
                        </li>
                      );
                    })}
                  </ul>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h3>{t('userStories')}</h3>
      <ul>
        {arr(s.userStories).map((raw) => {
          const u = obj(raw);
          return <li key={str(u.id)}>{str(u.text)}</li>;
        })}
      </ul>
      <h3>{t('entities')}</h3>
      <ul>
        {arr(s.entities).map((raw) => {
          const e = obj(raw);
          return (
            <li key={str(e.name)}>
              <b>{str(e.name)}</b> ({str(e.label)}):{' '}
              {arr(e.fields)
                .map((f) => str(obj(f).name))
                .join(', ')}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
