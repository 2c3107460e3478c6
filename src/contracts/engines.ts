import { z } from 'zod';
import { ArchitectureSpec, TestPlan } from './architecture.js';
import { CodeReport, StaticAnalysisReport } from './code.js';
import { Deployment, Environment, Release } from './deployment.js';
import { SiteName } from './fields.js';
import type { Role } from './models.js';
import { MonitoringReport } from './monitoring.js';
import { RequirementsSpec } from './requirements.js';
import { TestReport } from './testing.js';

/** Absolute path of the project's git workspace; engines write documents and code there. */
const Workspace = z.string().min(1);
const Feedback = z.string().optional();

export const RequirementsAnalyzeInput = z.object({
  text: z.string(),
  feedback: Feedback,
  previous: RequirementsSpec.optional(),
  workspace: Workspace.optional(),
});
export const ArchitectureDesignInput = z.object({
  requirements: RequirementsSpec,
  feedback: Feedback,
  previous: ArchitectureSpec.optional(),
  workspace: Workspace.optional(),
});
export const ArchitectureTestPlanInput = z.object({
  requirements: RequirementsSpec,
  feedback: Feedback,
  workspace: Workspace.optional(),
});
export const CodeGenerateInput = z.object({
  requirements: RequirementsSpec,
  architecture: ArchitectureSpec.optional(),
  testPlan: TestPlan.optional(),
  feedback: Feedback,
  workspace: Workspace,
});
export const CodeFixInput = z.object({
  requirements: RequirementsSpec,
  architecture: ArchitectureSpec.optional(),
  testReport: TestReport,
  workspace: Workspace,
});
export const CodeAnalyzeInput = z.object({ workspace: Workspace });
export const TestRunInput = z.object({ workspace: Workspace, testPlan: TestPlan.optional() });
export const ReleasePrepareInput = z.object({
  workspace: Workspace,
  requirements: RequirementsSpec,
  testReport: TestReport.optional(),
});
/** Site (service) name; optional where only one site has the environment. */
const Project = SiteName.optional();
export const DeployInput = z.object({
  workspace: Workspace,
  release: Release,
  environment: Environment,
  /** Plugin name; defaults to the configured one (`local-process`). */
  plugin: z.string().min(1).optional(),
});
export const DeployVerifyInput = z.object({ workspace: Workspace, deployment: Deployment });
export const DeployRollbackInput = z.object({
  environment: Environment,
  project: Project,
  reason: z.string().optional(),
});
export const DeployStopInput = z.object({
  environment: Environment.optional(),
  project: Project,
  /** Only deployments made by this run (from the idempotency key). */
  runId: z.string().min(1).optional(),
});
export const MonitorStartInput = z.object({
  deployment: Deployment,
  requirements: RequirementsSpec.optional(),
  watchWindowMs: z.number().int().positive().optional(),
});
export const MonitorReportInput = z.object({ environment: Environment, project: Project });
export const MonitorStopInput = z.object({ environment: Environment, project: Project });

const StopResult = z.object({ stopped: z.boolean(), metrics: z.record(z.string(), z.number()) });

export interface ToolContract {
  input: z.ZodObject;
  output: z.ZodObject;
  description: string;
}

/** Every role's tools. A replacement MCP server must offer at least these, with compatible schemas. */
export const ENGINE_CONTRACTS = {
  requirements: {
    requirements_analyze: {
      input: RequirementsAnalyzeInput,
      output: RequirementsSpec,
      description: 'Analyse requirement text (English or Chinese) into a RequirementsSpec.',
    },
  },
  architecture: {
    architecture_design: {
      input: ArchitectureDesignInput,
      output: ArchitectureSpec,
      description: 'Design an architecture with an OpenAPI 3.1 document from a RequirementsSpec.',
    },
    architecture_test_plan: {
      input: ArchitectureTestPlanInput,
      output: TestPlan,
      description: 'Derive test cases from the acceptance criteria.',
    },
  },
  coding: {
    code_generate: { input: CodeGenerateInput, output: CodeReport, description: 'Generate the service.' },
    code_fix: { input: CodeFixInput, output: CodeReport, description: 'Repair code from test failures.' },
    code_analyze: {
      input: CodeAnalyzeInput,
      output: StaticAnalysisReport,
      description: 'Type check, lint, build and measure the workspace.',
    },
  },
  testing: {
    test_run: {
      input: TestRunInput,
      output: TestReport,
      description: 'Run the generated tests in the sandbox.',
    },
  },
  deployment: {
    release_prepare: {
      input: ReleasePrepareInput,
      output: Release,
      description: 'Version, tag and package.',
    },
    deploy: { input: DeployInput, output: Deployment, description: 'Deploy a release to an environment.' },
    deploy_verify: { input: DeployVerifyInput, output: Deployment, description: 'Smoke-test the live URL.' },
    deploy_rollback: { input: DeployRollbackInput, output: Deployment, description: 'Roll back.' },
    deploy_stop: { input: DeployStopInput, output: StopResult, description: 'Stop deployments.' },
  },
  monitoring: {
    monitor_start: { input: MonitorStartInput, output: MonitoringReport, description: 'Start watching.' },
    monitor_report: { input: MonitorReportInput, output: MonitoringReport, description: 'Report.' },
    monitor_stop: { input: MonitorStopInput, output: StopResult, description: 'Stop watching.' },
  },
} as const satisfies Record<Role, Record<string, ToolContract>>;

export type EngineContracts = typeof ENGINE_CONTRACTS;

export function toolContract(role: Role, tool: string): ToolContract | undefined {
  const tools: Record<string, ToolContract> = ENGINE_CONTRACTS[role];
  return tools[tool];
}
