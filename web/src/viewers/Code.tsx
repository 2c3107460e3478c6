import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import diffLang from 'highlight.js/lib/languages/diff';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import typescript from 'highlight.js/lib/languages/typescript';
import yaml from 'highlight.js/lib/languages/yaml';
import { useEffect, useMemo, useState } from 'react';
import { type Artifact, api } from '../api.js';
import { useI18n } from '../i18n.js';
import { obj, str } from './util.js';

for (const [name, lang] of Object.entries({
  bash,
  diff: diffLang,
  javascript,
  json,
  markdown,
  typescript,
  yaml,
})) {
  hljs.registerLanguage(name, lang);
}
const BY_EXT: Record<string, string> = {
  ts: 'typescript',
  tsx: 'typescript',
  js: 'javascript',
  mjs: 'javascript',
  json: 'json',
  md: 'markdown',
  yaml: 'yaml',
  yml: 'yaml',
  sh: 'bash',
};

/** highlight.js escapes the source it marks up, so its HTML is safe to insert. */
function Highlighted({ code, language }: { code: string; language: string | undefined }) {
  const html = useMemo(
    () =>
      language ? hljs.highlight(code, { language }).value : hljs.highlightAuto(code.slice(0, 20_000)).value,
    [code, language],
  );
  return (
    <pre className="hljs">
      {/* biome-ignore lint/security/noDangerouslySetInnerHtml: highlight.js escapes the source it marks up */}
      <code dangerouslySetInnerHTML={{ __html: html }} />
    </pre>
  );
}

export function CodeView({ runId, artifacts }: { runId: string; artifacts: Artifact[] }) {
  const { t } = useI18n();
  // Attempts that changed code: generation and each fix round, each with its workspace commit.
  const attempts = artifacts.filter(
    (a) => (a.stepKey === 'coding' || /^fix-\d+$/.test(a.stepKey)) && a.workspaceCommit,
  );
  const latest = attempts.at(-1);
  const [files, setFiles] = useState<{ path: string; bytes: number }[]>([]);
  const [path, setPath] = useState<string | null>(null);
  const [content, setContent] = useState('');
  const [from, setFrom] = useState(attempts[0]?.workspaceCommit ?? '');
  const [to, setTo] = useState(latest?.workspaceCommit ?? '');
  const [patch, setPatch] = useState('');
  const commit = latest?.workspaceCommit ?? undefined;
  useEffect(() => {
    if (!commit) return;
    void api<{ files: { path: string; bytes: number }[] }>(`/runs/${runId}/files?commit=${commit}`).then(
      (r) => setFiles(r.files),
    );
  }, [runId, commit]);
  useEffect(() => {
    if (!path || !commit) return;
    void api<{ content: string }>(
      `/runs/${runId}/files/content?commit=${commit}&path=${encodeURIComponent(path)}`,
    ).then((r) => setContent(r.content));
  }, [runId, commit, path]);
  const report = obj(latest?.content);
  return (
    <div className="code" data-testid="code-view">
      <p>{str(report.summary)}</p>
      <div className="split">
        <nav aria-label={t('files')} className="tree">
          <h3>{t('files')}</h3>
          <ul>
            {files.map((f) => (
              <li key={f.path}>
                <button type="button" aria-pressed={f.path === path} onClick={() => setPath(f.path)}>
                  {f.path}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <div className="source">
          {path && (
            <>
              <h3>{path}</h3>
              <Highlighted code={content} language={BY_EXT[path.split('.').pop() ?? '']} />
            </>
          )}
        </div>
      </div>
      <h3>{t('diff')}</h3>
      <div className="row">
        {(['from', 'to'] as const).map((which) => (
          <label key={which}>
            {which}{' '}
            <select
              value={which === 'from' ? from : to}
              onChange={(e) => (which === 'from' ? setFrom : setTo)(e.target.value)}
            >
              {attempts.map((a) => (
                <option key={a.id} value={a.workspaceCommit ?? ''}>
                  {a.stepKey} v{a.version} ({a.workspaceCommit?.slice(0, 8)})
                </option>
              ))}
            </select>
          </label>
        ))}
        <button
          type="button"
          disabled={!from || !to || from === to}
          onClick={() =>
            void api<{ patch: string }>(`/runs/${runId}/files/diff?from=${from}&to=${to}`).then((r) =>
              setPatch(r.patch),
            )
          }
        >
          {t('diff')}
        </button>
      </div>
      {patch && <Highlighted code={patch} language="diff" />}
    </div>
  );
}
