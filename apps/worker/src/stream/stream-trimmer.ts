// Keeps the events stream near its history length (HERALD_STREAM_MAXLEN) without ever trimming an
// event a worker has not read and acknowledged (EventsStream.trim). Every worker runs one: they do
// the same work, so two at once only cost a spare call.
import { TRIM_SCAN_LIMIT, type EventsStream, type Logger } from '@herald/shared';
import { PeriodicTask } from '../periodic-task';

export interface StreamTrimmerOptions {
  /** Entries kept at least: the newest, once read and acknowledged. */
  kept: number;
  /** How often the stream is trimmed, in ms. */
  intervalMs: number;
}

export class StreamTrimmer extends PeriodicTask {
  constructor(deps: { stream: EventsStream; logger: Logger }, options: StreamTrimmerOptions) {
    super({
      name: 'stream-trimmer',
      intervalMs: options.intervalMs,
      logger: deps.logger,
      // As far as one call may go: another follows at once.
      round: async () => (await deps.stream.trim(options.kept)) >= TRIM_SCAN_LIMIT / 2,
    });
  }
}
