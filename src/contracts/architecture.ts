import { z } from 'zod';
import { Metrics } from './models.js';

// Draft: the architecture engine issue completes these shapes.

export const Component = z.object({
  name: z.string(),
  responsibility: z.string(),
  requirementIds: z.array(z.string()),
});

export const ArchitectureSpec = z.object({
  pattern: z.object({
    name: z.enum(['modular_monolith', 'microservices', 'serverless']),
    rationale: z.string(),
  }),
  components: z.array(Component),
  techStack: z.array(z.object({ layer: z.string(), choice: z.string(), reason: z.string() })),
  dataModel: z.array(z.object({ entity: z.string(), fields: z.array(z.unknown()) })),
  api: z.record(z.string(), z.unknown()),
  deployment: z.record(z.string(), z.unknown()),
  security: z.record(z.string(), z.unknown()),
  scalability: z.array(z.string()),
  diagrams: z.record(z.string(), z.string()),
  decisions: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      context: z.string(),
      decision: z.string(),
      consequences: z.string(),
    }),
  ),
  trace: z.array(
    z.object({ requirementId: z.string(), components: z.array(z.string()), operations: z.array(z.string()) }),
  ),
  metrics: Metrics,
});
export type ArchitectureSpec = z.infer<typeof ArchitectureSpec>;

export const TestCase = z.object({
  id: z.string(),
  name: z.string(),
  requirementIds: z.array(z.string()),
  kind: z.enum(['unit', 'integration', 'smoke']),
  given: z.string(),
  when: z.string(),
  then: z.string(),
});

export const TestPlan = z.object({
  cases: z.array(TestCase),
  metrics: Metrics,
});
export type TestPlan = z.infer<typeof TestPlan>;
