/**
 * A node:test custom reporter, written into the sandbox's temp dir and loaded with `--test-reporter`.
 * It turns the runner's events into JSON lines: one per finished test, one with the V8 coverage summary.
 * Plain JavaScript because it runs inside the generated project's Node, not ours.
 */
export const REPORTER_SOURCE = `
function errorText(err) {
  if (!err) return null;
  const inner = err.cause ?? err;
  const code = inner.code ? inner.code + ': ' : '';
  return (code + String(inner.message ?? inner)).slice(0, 4000);
}

export default async function* reporter(source) {
  for await (const event of source) {
    if (event.type === 'test:pass' || event.type === 'test:fail') {
      const data = event.data;
      if (data.details?.type === 'suite') continue;
      yield JSON.stringify({
        kind: 'test',
        status: event.type === 'test:fail' ? 'failed' : data.skip || data.todo ? 'skipped' : 'passed',
        name: data.name,
        nesting: data.nesting,
        file: data.file ?? null,
        durationMs: data.details?.duration_ms ?? 0,
        error: event.type === 'test:fail' ? errorText(data.details?.error) : null,
      }) + '\\n';
    } else if (event.type === 'test:coverage') {
      const files = event.data.summary.files.map((f) => ({
        path: f.path,
        lines: f.lines ?? [],
        branches: f.branches ?? [],
        functions: f.functions ?? [],
      }));
      yield JSON.stringify({ kind: 'coverage', files }) + '\\n';
    }
  }
}
`;
