import { useEffect, useId, useRef, useState } from 'react';

let ready: Promise<typeof import('mermaid').default> | undefined;
function loadMermaid() {
  // Loaded on first use: mermaid is large and most screens do not draw diagrams.
  ready ??= import('mermaid').then((m) => {
    m.default.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral' });
    return m.default;
  });
  return ready;
}

export function Mermaid({ source, title }: { source: string; title: string }) {
  const id = `m${useId().replace(/[^A-Za-z0-9]/g, '')}`;
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    loadMermaid()
      .then((mermaid) => mermaid.render(id, source))
      .then(({ svg }) => {
        if (alive && ref.current) ref.current.innerHTML = svg;
      })
      .catch((err: unknown) => alive && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      alive = false;
    };
  }, [id, source]);
  return (
    <figure className="mermaid" data-testid="mermaid">
      <figcaption>{title}</figcaption>
      <div ref={ref} role="img" aria-label={title} />
      {error && (
        <details>
          <summary>diagram source ({error.slice(0, 80)})</summary>
          <pre>{source}</pre>
        </details>
      )}
    </figure>
  );
}
