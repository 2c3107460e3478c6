import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { deploymentsRoot } from '../shared/paths.js';

export function artifactsDir(home: string): string {
  return resolve(deploymentsRoot(home), 'artifacts');
}

export function idempotencyFile(home: string, key: string): string {
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return resolve(deploymentsRoot(home), 'idempotency', `${digest}.json`);
}

/** A name safe as a folder, a docker image and a Kubernetes object name. */
export function safeName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/^@[^/]+\//, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/g, '');
  return slug.length > 0 ? slug : 'service';
}
