import { createInterface } from 'node:readline/promises';
import type { Artifact, Step } from '../contracts/models.js';

export type GateAnswer =
  | { decision: 'approve' }
  | { decision: 'reject'; feedback: string }
  | { decision: 'stop' };

/** Shows what the gate reviews and asks a person at the terminal. */
export async function askAtGate(step: Step, artifact: Artifact | undefined): Promise<GateAnswer> {
  const out = process.stderr;
  out.write(`\n${step.key} is waiting for your decision.\n`);
  if (step.error) out.write(`  note: ${step.error}\n`);
  if (artifact !== undefined) {
    const content = artifact.content as {
      metrics?: Record<string, number>;
      openQuestions?: string[];
      summary?: string;
    };
    if (content.summary) out.write(`  summary: ${content.summary}\n`);
    if (content.metrics) {
      out.write(
        `  measured: ${Object.entries(content.metrics)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}\n`,
      );
    }
    for (const question of content.openQuestions?.slice(0, 10) ?? [])
      out.write(`  open question: ${question}\n`);
    out.write(
      `  artifact: ${artifact.stepKey} v${artifact.version} (powerauto status ${artifact.runId} --json)\n`,
    );
  }
  const rl = createInterface({ input: process.stdin, output: out });
  try {
    for (;;) {
      const answer = (await rl.question('[a]pprove, [r]eject with feedback, or [s]top here? '))
        .trim()
        .toLowerCase();
      if (answer === 'a' || answer === 'approve') return { decision: 'approve' };
      if (answer === 's' || answer === 'stop') return { decision: 'stop' };
      if (answer === 'r' || answer === 'reject') {
        const feedback = (await rl.question('What should change? ')).trim();
        if (feedback.length > 0) return { decision: 'reject', feedback };
        out.write('Feedback is needed to reject.\n');
      }
    }
  } finally {
    rl.close();
  }
}
