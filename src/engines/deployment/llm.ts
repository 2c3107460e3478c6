import { z } from 'zod';
import type { Release } from '../../contracts/deployment.js';
import { ReleasePrepareInput } from '../../contracts/engines.js';
import type { Brain } from '../brain.js';
import { createLlmBrain, type EngineLlm } from '../llm-brain.js';
import { offlineBrain } from './offline.js';

export const ReleaseNotesAnswer = z.object({ notes: z.string().min(1) });

/**
 * Deploying is side effects and measurements, so those stay with the deterministic engine. The model
 * only writes the release notes people read; version, tag, package and checks are unchanged.
 */
export function createDeploymentLlmBrain(engine: EngineLlm): Brain {
  return createLlmBrain(
    offlineBrain,
    {
      release_prepare: {
        augment: async (prepared, raw, _ctx, llm) => {
          const input = ReleasePrepareInput.parse(raw);
          const release = prepared as Release;
          const { notes } = await llm.structured(ReleaseNotesAnswer, {
            system: await llm.prompt('release_prepare'),
            messages: [
              {
                role: 'user',
                content: JSON.stringify({
                  project: release.project,
                  version: release.version,
                  previousVersion: release.previousVersion,
                  requirements: input.requirements.requirements
                    .filter((r) => release.requirementIds.includes(r.id))
                    .map((r) => ({ id: r.id, text: r.text })),
                  tests: input.testReport?.metrics ?? null,
                }),
              },
            ],
            schemaName: 'release_notes',
          });
          return { ...release, notes };
        },
      },
    },
    engine,
  );
}
