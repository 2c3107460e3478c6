import { parseSettings, readConfigSection } from '../shared/config.js';
import { MonitoringSettings } from '../shared/monitoring-settings.js';

export async function loadMonitoringSettings(
  env: NodeJS.ProcessEnv = process.env,
): Promise<MonitoringSettings> {
  return parseSettings(MonitoringSettings, await readConfigSection('monitoring', env), 'monitoring');
}
