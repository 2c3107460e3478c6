/** Errors more than one engine throws (the codes are the contracts'; see src/contracts/errors.ts). */
import { PowerAutoError } from '../../contracts/errors.js';

/** A plugin's runtime (Docker daemon, cluster, plugin module) cannot be used here. */
export class PluginUnavailableError extends PowerAutoError {
  constructor(message: string) {
    super('PLUGIN_UNAVAILABLE', message);
  }
}
