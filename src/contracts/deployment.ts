import { z } from 'zod';
import { Metrics } from './models.js';

// Draft: the deployment issue completes these shapes.

export const Environment = z.enum(['staging', 'production']);
export type Environment = z.infer<typeof Environment>;

export const Release = z.object({
  version: z.string(),
  tag: z.string(),
  notes: z.string(),
  artifactPath: z.string(),
  sha256: z.string(),
  metrics: Metrics,
});
export type Release = z.infer<typeof Release>;

export const Deployment = z.object({
  environment: Environment,
  url: z.string(),
  version: z.string(),
  status: z.enum(['running', 'stopped', 'failed', 'rolled_back']),
  pid: z.number().int().nullable(),
  plugin: z.string(),
  metrics: Metrics,
});
export type Deployment = z.infer<typeof Deployment>;
