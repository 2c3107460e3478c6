/** A small SVG line chart: one series, time on x. Each point is drawn as a dot so it can be counted. */
export function LineChart({
  title,
  points,
  format = (v) => v.toFixed(2),
}: {
  title: string;
  points: { t: number; v: number }[];
  format?: (v: number) => string;
}) {
  const w = 320;
  const h = 120;
  const pad = 28;
  if (points.length === 0) {
    return (
      <figure className="chart" data-testid="chart" data-points={0}>
        <figcaption>{title}</figcaption>
        <p>—</p>
      </figure>
    );
  }
  const t0 = Math.min(...points.map((p) => p.t));
  const t1 = Math.max(...points.map((p) => p.t));
  const vmax = Math.max(...points.map((p) => p.v), 1e-9);
  const x = (t: number) => pad + ((t - t0) / Math.max(1, t1 - t0)) * (w - pad - 4);
  const y = (v: number) => h - pad + 4 - (v / vmax) * (h - pad - 4);
  const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const last = points.at(-1)!;
  return (
    <figure className="chart" data-testid="chart" data-points={points.length}>
      <figcaption>
        {title}: <b>{format(last.v)}</b>
      </figcaption>
      <svg
        viewBox={`0 0 ${w} ${h}`}
        role="img"
        aria-label={`${title}, ${points.length} points, latest ${format(last.v)}`}
      >
        <line x1={pad} y1={h - pad + 4} x2={w} y2={h - pad + 4} className="axis" />
        <line x1={pad} y1={0} x2={pad} y2={h - pad + 4} className="axis" />
        <text x={2} y={10} className="tick">
          {format(vmax)}
        </text>
        <text x={2} y={h - pad + 4} className="tick">
          0
        </text>
        <path d={d} className="line" />
        {points.map((p) => (
          <circle key={p.t} cx={x(p.t)} cy={y(p.v)} r={2} className="dot" />
        ))}
      </svg>
    </figure>
  );
}
