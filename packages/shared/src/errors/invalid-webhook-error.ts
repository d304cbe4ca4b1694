import type { z } from 'zod';
import { AppError } from './app-error';

/** A change that would leave a webhook invalid; `validation` names the fields as creating it would. */
export class InvalidWebhookError extends AppError {
  constructor(readonly validation: z.ZodError) {
    super(
      'invalid_webhook',
      `The webhook would be invalid: ${validation.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
}
