import { AppError } from './app-error';

/**
 * The events stream holds as many unread events as it may (HERALD_STREAM_MAXLEN): workers are down
 * or behind. Nothing of the request was accepted; the producer should retry later.
 */
export class BacklogFullError extends AppError {
  constructor(
    readonly unread: number,
    readonly limit: number,
  ) {
    super('backlog_full', `${unread} events are waiting to be read by a worker, the most the stream may hold (HERALD_STREAM_MAXLEN=${limit})`);
  }
}
