import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Deployment as K8sDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import type { Deployment } from '../../../contracts/deployment.js';
import { errorMessage } from '../../../contracts/errors.js';
import { PluginUnavailableError } from '../../shared/errors.js';
import { DeployFailedError } from '../errors.js';
import { lastLine, run } from '../exec.js';
import type {
  DeploymentPlugin,
  DeployRequest,
  EnvironmentRef,
  PluginContext,
  PluginDeployResult,
  PluginStatus,
  VerifyResult,
} from './types.js';

export interface ManifestCheck {
  file: string;
  kind: string;
  name: string;
  valid: boolean;
  error: string | null;
}

// Schema-level checks from the Kubernetes OpenAPI schemas (kubernetes-models): kinds we generate.
const VALIDATORS: Record<string, (doc: Record<string, unknown>) => void> = {
  'apps/v1/Deployment': (doc) => new K8sDeployment(doc as never).validate(),
  'v1/Service': (doc) => new Service(doc as never).validate(),
  'autoscaling/v2/HorizontalPodAutoscaler': (doc) => new HorizontalPodAutoscaler(doc as never).validate(),
};

/** Validates every document of the given manifest texts against its kind's schema. */
export function validateManifestText(file: string, text: string): ManifestCheck[] {
  const checks: ManifestCheck[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      checks.push({
        file,
        kind: '?',
        name: '?',
        valid: false,
        error: doc.errors[0]?.message ?? 'YAML error',
      });
      continue;
    }
    const value: unknown = doc.toJS();
    if (value === null || typeof value !== 'object') continue;
    const obj = value as Record<string, unknown>;
    const kind = `${String(obj.apiVersion)}/${String(obj.kind)}`;
    const meta = obj.metadata as { name?: unknown } | undefined;
    const name = typeof meta?.name === 'string' ? meta.name : '?';
    const validate = VALIDATORS[kind];
    if (validate === undefined) {
      checks.push({ file, kind, name, valid: false, error: `no schema for ${kind} here` });
      continue;
    }
    try {
      validate(obj);
      checks.push({ file, kind, name, valid: true, error: null });
    } catch (err) {
      checks.push({ file, kind, name, valid: false, error: errorMessage(err).slice(0, 500) });
    }
  }
  return checks;
}

export async function validateManifestFiles(workspace: string, files: string[]): Promise<ManifestCheck[]> {
  const checks: ManifestCheck[] = [];
  for (const file of files)
    checks.push(...validateManifestText(file, await readFile(join(workspace, file), 'utf8')));
  return checks;
}

function kubectlArgs(ctx: PluginContext, ...args: string[]): string[] {
  const k = ctx.settings.kubernetes;
  return ['--context', k.context ?? '', '--namespace', k.namespace, ...args];
}

/**
 * Applies the release's manifests with kubectl to the configured context. With no context it
 * validates them against the Kubernetes schemas and says it only validated (status `validated`).
 */
export const kubernetesPlugin: DeploymentPlugin = {
  name: 'kubernetes',

  async deploy(request: DeployRequest, ctx: PluginContext): Promise<PluginDeployResult> {
    const files = request.release.files.kubernetes;
    const checks = await validateManifestFiles(request.workspace, files);
    const invalid = checks.filter((c) => !c.valid);
    if (invalid.length > 0) {
      throw new DeployFailedError(
        `invalid Kubernetes manifests: ${invalid.map((c) => `${c.file} ${c.kind} ${c.name}: ${c.error}`).join('; ')}`,
      );
    }
    const metrics = { manifestsValidated: checks.length, manifestsInvalid: 0 };
    const k = ctx.settings.kubernetes;
    if (k.context === undefined) {
      return {
        url: '',
        status: 'validated',
        pid: null,
        previousVersion: null,
        reason: `no kubectl context configured (deployment.kubernetes.context): ${checks.length} objects validated against the Kubernetes schemas, nothing applied`,
        logFile: null,
        metrics,
      };
    }
    const args = kubectlArgs(ctx, 'apply', ...files.flatMap((f) => ['-f', f]));
    const applied = await run(k.kubectl, args, {
      cwd: request.workspace,
      timeoutMs: 120_000,
      signal: ctx.signal,
    });
    if (applied.code !== 0) {
      throw new PluginUnavailableError(
        `kubectl apply to context ${k.context} failed: ${lastLine(applied.stderr)}`,
      );
    }
    const rollout = await run(
      k.kubectl,
      kubectlArgs(ctx, 'rollout', 'status', `deployment/${request.release.project}`, '--timeout=120s'),
      { timeoutMs: 130_000, signal: ctx.signal },
    );
    if (rollout.code !== 0)
      throw new DeployFailedError(`rollout did not finish: ${lastLine(rollout.stderr)}`);
    return {
      url: '',
      status: 'running',
      pid: null,
      previousVersion: null,
      reason: `applied to context ${k.context}, namespace ${k.namespace}; no URL: the Service is cluster-internal`,
      logFile: null,
      metrics: { ...metrics, applied: 1 },
    };
  },

  async verify(deployment: Deployment, _smokePaths: string[], _ctx: PluginContext): Promise<VerifyResult> {
    throw new PluginUnavailableError(
      deployment.status === 'validated'
        ? 'the kubernetes deployment was only validated: there is no live URL to check'
        : 'the kubernetes deployment has no URL reachable from here: live checks need an ingress or port-forward',
    );
  },

  async rollback(target: EnvironmentRef, _reason: string, ctx: PluginContext): Promise<PluginStatus> {
    const k = ctx.settings.kubernetes;
    if (k.context === undefined)
      throw new PluginUnavailableError('no kubectl context configured: nothing to roll back');
    const undo = await run(k.kubectl, kubectlArgs(ctx, 'rollout', 'undo', `deployment/${target.project}`));
    if (undo.code !== 0) throw new DeployFailedError(`kubectl rollout undo failed: ${lastLine(undo.stderr)}`);
    return {
      ...target,
      url: null,
      version: null,
      previousVersion: null,
      pid: null,
      status: 'running',
      detail: 'rollout undone',
    };
  },

  async stop(target: EnvironmentRef, ctx: PluginContext): Promise<{ stopped: boolean; pids: number[] }> {
    const k = ctx.settings.kubernetes;
    if (k.context === undefined) return { stopped: false, pids: [] };
    const del = await run(
      k.kubectl,
      kubectlArgs(ctx, 'delete', 'deployment,service,hpa', '-l', `app=${target.project}`),
    );
    return { stopped: del.code === 0, pids: [] };
  },

  async status(target: EnvironmentRef, ctx: PluginContext): Promise<PluginStatus | null> {
    const k = ctx.settings.kubernetes;
    return {
      ...target,
      url: null,
      version: null,
      previousVersion: null,
      pid: null,
      status: k.context === undefined ? 'validated' : 'running',
      detail: k.context === undefined ? 'no kubectl context: validation only' : `context ${k.context}`,
    };
  },
};
