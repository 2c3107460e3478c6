import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage } from '../../../contracts/errors.js';
import { PluginUnavailableError } from '../../shared/errors.js';
import { dockerPlugin } from './docker.js';
import { kubernetesPlugin } from './kubernetes.js';
import { localProcessPlugin } from './local-process/index.js';
import type { DeploymentPlugin } from './types.js';

const METHODS = ['deploy', 'verify', 'rollback', 'stop', 'status'] as const;

export const BUILTIN_PLUGINS: Readonly<Record<string, DeploymentPlugin>> = {
  'local-process': localProcessPlugin,
  docker: dockerPlugin,
  kubernetes: kubernetesPlugin,
};

function isPlugin(value: unknown): value is DeploymentPlugin {
  if (value === null || typeof value !== 'object') return false;
  const obj = value as Record<string, unknown>;
  return typeof obj.name === 'string' && METHODS.every((m) => typeof obj[m] === 'function');
}

/** Built-ins plus the plugins named in config (`deployment.plugins`: name -> module path or package). */
export class PluginRegistry {
  readonly #plugins = new Map<string, DeploymentPlugin>(Object.entries(BUILTIN_PLUGINS));
  readonly #sources: Record<string, string>;
  readonly #home: string;

  constructor(home: string, sources: Record<string, string> = {}) {
    this.#home = home;
    this.#sources = sources;
  }

  register(plugin: DeploymentPlugin): void {
    this.#plugins.set(plugin.name, plugin);
  }

  names(): string[] {
    return [...new Set([...this.#plugins.keys(), ...Object.keys(this.#sources)])].sort();
  }

  async get(name: string): Promise<DeploymentPlugin> {
    const known = this.#plugins.get(name);
    if (known !== undefined) return known;
    const source = this.#sources[name];
    if (source === undefined) {
      throw new PluginUnavailableError(`no deployment plugin "${name}" (known: ${this.names().join(', ')})`);
    }
    const plugin = await loadPlugin(source, this.#home);
    this.#plugins.set(name, plugin);
    return plugin;
  }
}

/** A path (absolute, `./…`, or relative to $POWERAUTO_HOME) is imported as a file; anything else as a package. */
export async function loadPlugin(source: string, home: string): Promise<DeploymentPlugin> {
  const isPath = isAbsolute(source) || source.startsWith('.') || /\.(m?js|ts)$/.test(source);
  const specifier = isPath ? pathToFileURL(isAbsolute(source) ? source : resolve(home, source)).href : source;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    throw new PluginUnavailableError(`deployment plugin ${source} could not be loaded: ${errorMessage(err)}`);
  }
  const candidate = mod.plugin ?? mod.default;
  if (!isPlugin(candidate)) {
    throw new PluginUnavailableError(
      `deployment plugin ${source} does not export a plugin (name and ${METHODS.join(', ')})`,
    );
  }
  return candidate;
}
