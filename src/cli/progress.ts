import type { RunEvent } from '../contracts/events.js';
import type { Step } from '../contracts/models.js';

const SYMBOL: Record<string, string> = {
  pending: '·',
  ready: '○',
  running: '▶',
  succeeded: '✓',
  failed: '✗',
  waiting_approval: '?',
  cancelled: '⊘',
  skipped: '–',
};

/**
 * Live progress for `run`: on a terminal, a step table redrawn in place with states and durations;
 * elsewhere, one line per step change (logs stay readable in CI).
 */
export class ProgressView {
  readonly #out: NodeJS.WriteStream;
  readonly #interactive: boolean;
  readonly #steps = new Map<
    string,
    { status: string; startedAt: number | null; finishedAt: number | null; note: string }
  >();
  #drawnLines = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: NodeJS.WriteStream, steps: Step[]) {
    this.#out = out;
    this.#interactive = out.isTTY === true;
    for (const step of steps) this.#track(step.key, step.status);
    if (this.#interactive) {
      this.#timer = setInterval(() => this.#draw(), 500);
      this.#timer.unref();
      this.#draw();
    }
  }

  onEvent(event: RunEvent): void {
    if (event.type === 'step.status') {
      const p = event.payload as { step: string; to: string; attempt: number; error?: string | null };
      const entry = this.#track(p.step, p.to);
      if (p.to === 'running' && entry.startedAt === null) entry.startedAt = Date.now();
      if (p.to === 'running') entry.finishedAt = null;
      if (['succeeded', 'failed', 'cancelled', 'waiting_approval'].includes(p.to))
        entry.finishedAt = Date.now();
      entry.note = p.error ?? '';
      if (this.#interactive) this.#draw();
      else
        this.#out.write(
          `${time()} ${p.step} ${p.to}${p.attempt > 1 ? ` (attempt ${p.attempt})` : ''}${p.error ? `: ${p.error}` : ''}\n`,
        );
    } else if (event.type === 'step.progress' && !this.#interactive) {
      const p = event.payload as { step: string; message?: string };
      if (p.message) this.#out.write(`${time()} ${p.step}: ${p.message}\n`);
    }
  }

  /** Draws a last time and lets later output (a prompt) start below the table. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#interactive) this.#draw();
    this.#drawnLines = 0;
  }

  #track(key: string, status: string) {
    let entry = this.#steps.get(key);
    if (entry === undefined) {
      entry = { status, startedAt: null, finishedAt: null, note: '' };
      this.#steps.set(key, entry);
    }
    entry.status = status;
    return entry;
  }

  #draw(): void {
    const lines = [...this.#steps].map(([key, s]) => {
      const elapsed =
        s.startedAt === null ? '' : `${(((s.finishedAt ?? Date.now()) - s.startedAt) / 1000).toFixed(1)}s`;
      const note = s.note ? `  ${s.note.slice(0, 80)}` : '';
      return `  ${SYMBOL[s.status] ?? ' '} ${key.padEnd(20)} ${s.status.padEnd(17)} ${elapsed.padStart(7)}${note}`;
    });
    if (this.#drawnLines > 0) this.#out.write(`\x1b[${this.#drawnLines}A`);
    this.#out.write(lines.map((l) => `\x1b[2K${l}\n`).join(''));
    this.#drawnLines = lines.length;
  }
}

function time(): string {
  return new Date().toISOString().slice(11, 19);
}
