import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/** JSON lines on stdout (pino), ready for any log shipper; `destination` lets tests read them. */
export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  // Level names rather than numbers: log queries read `"level":"error"`.
  const options = {
    level,
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
