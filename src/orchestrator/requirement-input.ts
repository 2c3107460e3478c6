import { BadInputError } from '../contracts/errors.js';

/**
 * Checks a requirement before anything is stored: not empty, within the size limit, and text.
 * Takes bytes too, so a file or stdin is judged before any lossy decoding.
 */
export function validateRequirement(input: string | Uint8Array, maxBytes: number): string {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (bytes > maxBytes) {
    throw new BadInputError(
      `the requirement is ${formatBytes(bytes)}; the limit is ${formatBytes(maxBytes)} (set maxRequirementBytes in the config to change it)`,
    );
  }
  let text: string;
  try {
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw new BadInputError('the requirement is not UTF-8 text (binary data?)');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this rejects.
  if (text.includes('\0') || /[\u0001-\u0008\u000b\u000e-\u001f\ufffd]/.test(text)) {
    throw new BadInputError(
      'the requirement contains binary data (NUL or control characters); give plain text',
    );
  }
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new BadInputError('the requirement is empty; describe what to build');
  return trimmed;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}
