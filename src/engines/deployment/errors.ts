import { PowerAutoError } from '../../contracts/errors.js';

/** A new release could not be started or failed its health check; the old one keeps the traffic. */
export class DeployFailedError extends PowerAutoError {
  constructor(message: string, details?: unknown) {
    super('DEPLOY_FAILED', message, { details });
  }
}

/** Live checks against a deployment failed (it has been rolled back). */
export class VerifyFailedError extends PowerAutoError {
  constructor(message: string, details?: unknown) {
    super('VERIFY_FAILED', message, { details });
  }
}
