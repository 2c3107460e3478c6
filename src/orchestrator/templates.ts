import type { GateName, Role, StepKind, TemplateName } from '../contracts/models.js';

/**
 * What a tool step receives: the run's text, its workspace, and the latest artifacts of other steps.
 * Artifacts are read on request: a step reads a few, and one of them may hold a whole code base.
 */
export interface InputContext {
  requirement: string;
  workspace: string;
  feedback: string | undefined;
  artifact(stepKey: string): Promise<Record<string, unknown> | undefined>;
}

type StepInput = (ctx: InputContext) => Promise<Record<string, unknown>>;

export interface StepDefinition {
  key: string;
  kind: StepKind;
  role: Role | null;
  tool: string | null;
  dependsOn: string[];
  /** Approval steps: which gate this is and which step's artifact it reviews. */
  gate?: GateName;
  reviews?: string;
  /** The step re-run with the reviewer's feedback when this step's own approval is rejected. */
  rerunOnReject?: string;
  /** Quality gate name in config (defaults to the step key). */
  qualityGate?: string;
  /** A failing quality gate here starts the fix loop: `code_fix`, then these steps again. */
  fixLoop?: { rerun: string[] };
  input?: StepInput;
}

function tool(
  key: string,
  role: Role,
  toolName: string,
  dependsOn: string[],
  input: StepInput,
  extra: Partial<StepDefinition> = {},
): StepDefinition {
  return { key, kind: 'tool', role, tool: toolName, dependsOn, input, ...extra };
}

function gate(name: GateName, reviews: string, dependsOn: string[]): StepDefinition {
  return { key: `gate:${name}`, kind: 'approval', role: null, tool: null, dependsOn, gate: name, reviews };
}

const requirements = (dependsOn: string[] = []) =>
  tool('requirements', 'requirements', 'requirements_analyze', dependsOn, async (ctx) => ({
    text: ctx.requirement,
    feedback: ctx.feedback,
    previous: ctx.feedback === undefined ? undefined : await ctx.artifact('requirements'),
    workspace: ctx.workspace,
  }));

const architecture = (dependsOn: string[]) =>
  tool('architecture', 'architecture', 'architecture_design', dependsOn, async (ctx) => ({
    requirements: await ctx.artifact('requirements'),
    feedback: ctx.feedback,
    previous: ctx.feedback === undefined ? undefined : await ctx.artifact('architecture'),
    workspace: ctx.workspace,
  }));

const coding = (dependsOn: string[]) =>
  tool('coding', 'coding', 'code_generate', dependsOn, async (ctx) => ({
    requirements: await ctx.artifact('requirements'),
    architecture: await ctx.artifact('architecture'),
    testPlan: await ctx.artifact('test_plan'),
    feedback: ctx.feedback,
    workspace: ctx.workspace,
  }));

const testing = (dependsOn: string[], rerun: string[]) =>
  tool(
    'testing',
    'testing',
    'test_run',
    dependsOn,
    async (ctx) => ({ workspace: ctx.workspace, testPlan: await ctx.artifact('test_plan') }),
    { fixLoop: { rerun }, rerunOnReject: 'coding' },
  );

/** The fix step the scheduler inserts when the testing quality gate fails (one per round). */
export function fixStep(round: number): StepDefinition {
  return tool(`fix-${round}`, 'coding', 'code_fix', ['coding'], async (ctx) => ({
    requirements: await ctx.artifact('requirements'),
    architecture: await ctx.artifact('architecture'),
    testReport: await ctx.artifact('testing'),
    workspace: ctx.workspace,
  }));
}

export const TEMPLATES: Readonly<Record<TemplateName, readonly StepDefinition[]>> = {
  full: [
    requirements(),
    gate('requirements', 'requirements', ['requirements']),
    architecture(['gate:requirements']),
    tool('test_plan', 'architecture', 'architecture_test_plan', ['gate:requirements'], async (ctx) => ({
      requirements: await ctx.artifact('requirements'),
      workspace: ctx.workspace,
    })),
    gate('architecture', 'architecture', ['architecture', 'test_plan']),
    coding(['gate:architecture']),
    tool('static_analysis', 'coding', 'code_analyze', ['coding'], async (ctx) => ({
      workspace: ctx.workspace,
    })),
    testing(['coding'], ['static_analysis', 'testing']),
    gate('code_review', 'coding', ['static_analysis', 'testing']),
    tool('release', 'deployment', 'release_prepare', ['gate:code_review'], async (ctx) => ({
      workspace: ctx.workspace,
      requirements: await ctx.artifact('requirements'),
      testReport: await ctx.artifact('testing'),
    })),
    tool('deploy_staging', 'deployment', 'deploy', ['release'], async (ctx) => ({
      workspace: ctx.workspace,
      release: await ctx.artifact('release'),
      environment: 'staging',
    })),
    tool('verify_staging', 'deployment', 'deploy_verify', ['deploy_staging'], async (ctx) => ({
      workspace: ctx.workspace,
      deployment: await ctx.artifact('deploy_staging'),
    })),
    gate('release', 'verify_staging', ['verify_staging']),
    tool('deploy_production', 'deployment', 'deploy', ['gate:release'], async (ctx) => ({
      workspace: ctx.workspace,
      release: await ctx.artifact('release'),
      environment: 'production',
    })),
    tool('monitoring', 'monitoring', 'monitor_start', ['deploy_production'], async (ctx) => ({
      deployment: await ctx.artifact('deploy_production'),
      requirements: await ctx.artifact('requirements'),
    })),
  ],
  prototype: [requirements(), coding(['requirements']), testing(['coding'], ['testing'])],
  design: [
    requirements(),
    gate('requirements', 'requirements', ['requirements']),
    architecture(['gate:requirements']),
    gate('architecture', 'architecture', ['architecture']),
  ],
};

export function templateSteps(template: TemplateName): readonly StepDefinition[] {
  return TEMPLATES[template];
}

/** The definition behind a stored step key, including inserted fix rounds. */
export function stepDefinition(template: TemplateName, key: string): StepDefinition | undefined {
  const match = /^fix-(\d+)$/.exec(key);
  if (match !== null) return fixStep(Number(match[1]));
  return TEMPLATES[template].find((s) => s.key === key);
}
