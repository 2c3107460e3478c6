import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * DESIGN.md section 3: dependencies point one way,
 * `cli | api | mcp -> orchestrator -> coordinator -> (MCP) -> engines`. Imports are read with the
 * TypeScript compiler's own pre-processor.
 */
const SRC = resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' && dir.endsWith('llm') ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

interface Edge {
  from: string;
  to: string;
}

const files = sourceFiles(SRC);
const edges: Edge[] = [];
const packages: Edge[] = [];
for (const file of files) {
  const from = relative(SRC, file);
  for (const imported of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
    const spec = imported.fileName;
    if (spec.startsWith('.'))
      edges.push({ from, to: relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts') });
    else packages.push({ from, to: spec });
  }
}

/** The layer of a file: its top folder under src (engines are one layer). */
const layer = (path: string) => path.split('/')[0]!;

function violations(rule: (edge: Edge) => boolean): string[] {
  return edges.filter(rule).map((e) => `${e.from} -> ${e.to}`);
}

describe('import graph', () => {
  it('reads a real graph', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(edges.some((e) => e.from === 'orchestrator/runtime.ts' && layer(e.to) === 'coordinator')).toBe(
      true,
    );
  });

  it('contracts import nothing else of the product', () => {
    expect(violations((e) => layer(e.from) === 'contracts' && layer(e.to) !== 'contracts')).toEqual([]);
  });

  it('only the orchestrator and the API touch the store', () => {
    const allowed = new Set(['orchestrator', 'api', 'store']);
    expect(violations((e) => layer(e.to) === 'store' && !allowed.has(layer(e.from)))).toEqual([]);
  });

  it('engines never reach the store, the orchestrator, the coordinator or the front ends', () => {
    const forbidden = new Set(['store', 'orchestrator', 'coordinator', 'api', 'cli', 'bus']);
    expect(violations((e) => layer(e.from) === 'engines' && forbidden.has(layer(e.to)))).toEqual([]);
    // The MCP plumbing they may share is the session module, which imports only the SDK.
    expect(
      violations(
        (e) => layer(e.from) === 'engines' && layer(e.to) === 'mcp' && e.to !== 'mcp/streamable-http.ts',
      ),
    ).toEqual([]);
  });

  it('the orchestrator never imports an engine or a front end; the coordinator only loads embedded engines', () => {
    expect(
      violations(
        (e) => layer(e.from) === 'orchestrator' && ['engines', 'api', 'cli', 'mcp'].includes(layer(e.to)),
      ),
    ).toEqual([]);
    expect(
      violations(
        (e) => layer(e.from) === 'coordinator' && layer(e.to) === 'engines' && e.to !== 'engines/embedded.ts',
      ),
    ).toEqual([]);
    expect(
      violations(
        (e) =>
          layer(e.from) === 'coordinator' &&
          ['orchestrator', 'store', 'api', 'cli', 'mcp'].includes(layer(e.to)),
      ),
    ).toEqual([]);
  });

  it('keeps MCP SDK imports in the coordinator, the MCP server and the engine servers', () => {
    const sdkUsers = packages.filter((p) => p.to.startsWith('@modelcontextprotocol/sdk')).map((p) => p.from);
    const outside = sdkUsers.filter(
      (f) =>
        !['coordinator', 'mcp'].includes(layer(f)) &&
        !/^engines\/[^/]+\.ts$/.test(f) &&
        !/^engines\/[^/]+\/server\.ts$/.test(f),
    );
    expect(outside).toEqual([]);
  });

  it('has no import cycles beyond the known ones, which only shrink', () => {
    const next = new Map<string, string[]>();
    for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const to of next.get(file) ?? []) visit(to, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of next.keys()) visit(file, []);
    // Issue 21 removes these; delete a line when its cycle goes.
    const known = ['llm/client.ts -> llm/structured.ts -> llm/client.ts'];
    expect(cycles.filter((c) => !known.includes(c))).toEqual([]);
    expect(known.filter((c) => !cycles.includes(c))).toEqual([]);
  });

  /**
   * Issue 21: engines share a kernel (src/engines/shared, src/contracts), not each other's internals;
   * what one needs of another's work comes in the tool call. Unit tests (*.test.ts) are left out: they
   * chain engines to build their inputs, as the pipeline does.
   */
  describe('engines share a kernel, not each other', () => {
    const engineOf = (path: string): string | undefined => {
      const parts = path.split('/');
      return parts[0] === 'engines' && parts.length > 2 && parts[1] !== 'shared' ? parts[1] : undefined;
    };
    /** An import from a file of engine A into a file of engine B (A and B not `shared`, A ≠ B). */
    const crosses = (e: Edge) => {
      const from = engineOf(e.from);
      const to = engineOf(e.to);
      return from !== undefined && to !== undefined && from !== to;
    };
    const inShared = (path: string) => path.startsWith('engines/shared/');
    /** The engine hosts beside the engines: they load every engine, so importing one reaches them all. */
    const hosts = new Set(['engines/embedded.ts', 'engines/main.ts', 'engines/worker.ts']);

    /**
     * The edges still to go, each with why it is there. Delete an entry when its import goes; never add
     * one (move what both need into src/engines/shared instead).
     */
    const known: Record<string, string> = {
      'engines/deployment/plugins/local-process/environment.ts -> engines/monitoring/watcher.ts':
        "the supervisor process hosts the monitoring engine's Watcher, which must outlive the engine call",
    };

    it('no file of one engine imports a file of another, beyond the known edges', () => {
      const crossing = violations(crosses).sort();
      expect(crossing.filter((edge) => !(edge in known))).toEqual([]);
      // An entry whose import went is deleted, so the list only shrinks.
      expect(Object.keys(known).filter((edge) => !crossing.includes(edge))).toEqual([]);
      for (const [edge, reason] of Object.entries(known)) expect(reason, edge).not.toBe('');
    });

    it('the shared kernel imports no engine, and no engine imports the hosts that load them all', () => {
      expect(
        violations((e) => inShared(e.from) && (engineOf(e.to) !== undefined || hosts.has(e.to))),
      ).toEqual([]);
      expect(violations((e) => engineOf(e.from) !== undefined && hosts.has(e.to))).toEqual([]);
    });

    it('sees the rule break on a made-up edge', () => {
      expect(crosses({ from: 'engines/testing/run.ts', to: 'engines/coding/deps.ts' })).toBe(true);
      expect(crosses({ from: 'engines/testing/run.ts', to: 'engines/shared/dev-deps.ts' })).toBe(false);
      expect(crosses({ from: 'engines/testing/run.ts', to: 'engines/testing/plan.ts' })).toBe(false);
    });
  });
});
