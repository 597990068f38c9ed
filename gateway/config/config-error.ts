/** A configuration the gateway cannot start with; main.ts prints its message as one line and exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
