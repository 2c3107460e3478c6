import { useEffect, useState } from 'react';
import { AdminBoard } from './AdminBoard.js';
import { loadSession, type Session, saveSession, setUnauthorizedHandler } from './api.js';
import { type Lang, useI18n } from './i18n.js';
import { Login } from './Login.js';
import { Projects } from './Projects.js';
import { RunPage } from './RunPage.js';

/** Hash routes: #/projects, #/runs/<id>, #/admin. */
function useHashRoute(): string {
  const [hash, setHash] = useState(() => location.hash.slice(1) || '/projects');
  useEffect(() => {
    const onChange = () => setHash(location.hash.slice(1) || '/projects');
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

export function App() {
  const { t, lang, setLang } = useI18n();
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const route = useHashRoute();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      saveSession(null);
      setSession(null);
    });
  }, []);

  const langSwitch = (
    <label className="lang">
      {t('language')}{' '}
      <select aria-label={t('language')} value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
        <option value="en">English</option>
        <option value="zh">中文</option>
      </select>
    </label>
  );
  if (session === null) {
    return (
      <>
        <header className="top">
          <strong>{t('appName')}</strong>
          {langSwitch}
        </header>
        <Login onLogin={setSession} />
      </>
    );
  }
  const runMatch = /^\/runs\/([^/]+)/.exec(route);
  return (
    <>
      <header className="top">
        <strong>{t('appName')}</strong>
        <nav aria-label="main">
          <a href="#/projects" aria-current={route.startsWith('/projects') ? 'page' : undefined}>
            {t('projects')}
          </a>
          <a href="#/admin" aria-current={route.startsWith('/admin') ? 'page' : undefined}>
            {t('admin')}
          </a>
        </nav>
        <span className="who" data-testid="who">
          {session.user.username} ({session.user.role})
        </span>
        {langSwitch}
        <button
          type="button"
          onClick={() => {
            saveSession(null);
            setSession(null);
          }}
        >
          {t('logout')}
        </button>
      </header>
      <main>
        {runMatch?.[1] ? (
          <RunPage runId={runMatch[1]} session={session} />
        ) : route.startsWith('/admin') ? (
          <AdminBoard />
        ) : (
          <Projects session={session} />
        )}
      </main>
    </>
  );
}
