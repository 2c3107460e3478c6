import type { EngineLlmConfig } from '../config/engine-llm.js';
import { ENGINE_CONTRACTS } from '../contracts/engines.js';
import type { Role, TemplateName } from '../contracts/models.js';
import { estimateTokens, jsonSchemaOf, priceFor } from '../llm/index.js';
import { templateSteps } from './templates.js';

/**
 * Expected model use of a run, from the configuration and the requirement alone: no model is called.
 * Sizes are heuristics (tokens ~ characters / 4, outputs growing with the requirement's sentences);
 * the measured usage of a real run is in its steps' metrics (llmInputTokens, llmOutputTokens, llmCostUsd).
 */

/** A system prompt is a few hundred tokens (engines/<role>/prompts/*.v1.md). */
const SYSTEM_PROMPT_TOKENS = 300;

interface Size {
  /** Input tokens besides the system prompt and the schema, for `s` sentences of `textTokens` tokens. */
  input(s: number, textTokens: number): number;
  output(s: number): number;
}

/** The tools whose LLM brain calls the model once per call (see engines/<role>/llm.ts). */
const MODEL_TOOLS: Record<string, Size> = {
  requirements_analyze: { input: (_s, t) => t + 20, output: (s) => 150 + 250 * s },
  architecture_design: { input: (s) => 150 + 250 * s, output: (s) => 800 + 600 * s },
  architecture_test_plan: { input: (s) => 150 + 250 * s, output: (s) => 100 + 150 * s },
  code_generate: { input: (s) => 400 + 600 * s, output: (s) => 500 + 700 * s },
  release_prepare: { input: (s) => 80 + 40 * s, output: (s) => 120 + 40 * s },
  monitor_start: { input: () => 400, output: () => 150 },
};

export interface StageEstimate {
  step: string;
  role: Role;
  tool: string;
  provider: string;
  model: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** Null when the model has no price in `llm.prices`. */
  costUsd: number | null;
}

export interface RunEstimate {
  template: TemplateName;
  sentences: number;
  /** False when no provider is configured: every engine is offline, 0 calls, $0. */
  llm: boolean;
  stages: StageEstimate[];
  total: { calls: number; inputTokens: number; outputTokens: number; costUsd: number | null };
  /** Repairs of invalid output and code_fix rounds can add calls; this is the most a run can add per call. */
  notes: string[];
}

function providerOf(cfg: EngineLlmConfig, role: Role): string | undefined {
  const names = Object.keys(cfg.providers);
  return cfg.engines[role]?.provider ?? cfg.defaultProvider ?? (names.length === 1 ? names[0] : undefined);
}

export function estimateRun(
  llm: EngineLlmConfig | undefined,
  template: TemplateName,
  requirement: string,
  maxFixRounds = 0,
): RunEstimate {
  const sentences = Math.max(
    1,
    requirement.split(/[.!?。！？\n]+/).filter((s) => s.trim().length > 0).length,
  );
  const textTokens = estimateTokens(requirement);
  const stages: StageEstimate[] = [];
  const notes: string[] = [];
  if (llm !== undefined && Object.keys(llm.providers).length > 0) {
    for (const step of templateSteps(template)) {
      if (step.kind !== 'tool' || step.role === null || step.tool === null) continue;
      const size = MODEL_TOOLS[step.tool];
      const name = providerOf(llm, step.role);
      if (size === undefined || name === undefined) continue;
      const p = llm.providers[name]!;
      const model =
        llm.engines[step.role]?.model ?? (p.type === 'replay' ? (p.model ?? 'replay') : (p.model ?? p.type));
      const output = (
        ENGINE_CONTRACTS[step.role] as Record<string, { output: Parameters<typeof jsonSchemaOf>[0] }>
      )[step.tool]!.output;
      const schemaTokens = estimateTokens(JSON.stringify(jsonSchemaOf(output)));
      const inputTokens = SYSTEM_PROMPT_TOKENS + schemaTokens + size.input(sentences, textTokens);
      const outputTokens = size.output(sentences);
      const price = priceFor(llm.prices, { name, type: p.type }, model);
      stages.push({
        step: step.key,
        role: step.role,
        tool: step.tool,
        provider: name,
        model,
        calls: 1,
        inputTokens,
        outputTokens,
        costUsd:
          price === undefined
            ? null
            : (inputTokens * price.inputPerMTok + outputTokens * price.outputPerMTok) / 1_000_000,
      });
    }
    if (llm.repairAttempts > 0)
      notes.push(`invalid model output is retried up to ${llm.repairAttempts} time(s) per call`);
    if (maxFixRounds > 0 && templateSteps(template).some((s) => s.fixLoop !== undefined))
      notes.push(`each test fix round (up to ${maxFixRounds}) adds one code_fix call`);
  }
  const sum = (f: (s: StageEstimate) => number) => stages.reduce((n, s) => n + f(s), 0);
  const unpriced = stages.some((s) => s.costUsd === null);
  return {
    template,
    sentences,
    llm: stages.length > 0 || (llm !== undefined && Object.keys(llm.providers).length > 0),
    stages,
    total: {
      calls: sum((s) => s.calls),
      inputTokens: sum((s) => s.inputTokens),
      outputTokens: sum((s) => s.outputTokens),
      costUsd: unpriced ? null : sum((s) => s.costUsd ?? 0),
    },
    notes,
  };
}

const money = (n: number | null) => (n === null ? 'unpriced' : `$${n.toFixed(4)}`);

/** The human-readable table `powerauto run --estimate` prints. */
export function formatEstimate(e: RunEstimate): string {
  if (!e.llm)
    return 'estimate: 0 model calls, $0.00; no LLM provider is configured, so the offline engines run at no cost\n';
  const rows = e.stages.map(
    (s) =>
      `  ${s.step.padEnd(14)} ${`${s.provider}/${s.model}`.padEnd(28)} ${String(s.calls).padStart(5)} ${String(s.inputTokens).padStart(8)} ${String(s.outputTokens).padStart(8)} ${money(s.costUsd).padStart(10)}`,
  );
  return [
    `estimate (${e.template}, ${e.sentences} sentence(s); no model was called):`,
    `  ${'stage'.padEnd(14)} ${'provider/model'.padEnd(28)} ${'calls'.padStart(5)} ${'in tok'.padStart(8)} ${'out tok'.padStart(8)} ${'cost'.padStart(10)}`,
    ...rows,
    `  ${'total'.padEnd(14)} ${''.padEnd(28)} ${String(e.total.calls).padStart(5)} ${String(e.total.inputTokens).padStart(8)} ${String(e.total.outputTokens).padStart(8)} ${money(e.total.costUsd).padStart(10)}`,
    ...e.notes.map((n) => `  note: ${n}`),
    '',
  ].join('\n');
}
