import { AppError } from './app-error';

export interface ConfigProblem {
  /** The environment variable (or config path) at fault. */
  variable: string;
  /** What is wrong with it, in words an operator can act on. */
  problem: string;
}

/** Bad configuration: the process must refuse to start and say which variable and why. */
export class ConfigError extends AppError {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      'invalid_config',
      `Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.problem}`).join('\n')}`,
    );
  }
}
