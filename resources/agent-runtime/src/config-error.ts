// The error of a missing or invalid setting (environment variable or file), shared by config.ts and instructions.ts.

/** A setting is missing or invalid; the message names the variable and what is valid. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
