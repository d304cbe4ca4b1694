import { AppError } from './app-error';

/** A stored secret that none of the configured encryption keys opens (or no key is configured). */
export class SecretKeyError extends AppError {
  constructor(message: string) {
    super('SECRET_KEY', message);
  }
}
