// Keeps the events stream near its history length (HERALD_STREAM_MAXLEN) without ever trimming an
// event a worker has not read and acknowledged (EventsStream.trim). Every worker runs one: they do
// the same work, so two at once only cost a spare call.
import { TRIM_SCAN_LIMIT, type EventsStream, type Logger } from '@herald/shared';
import type { Service } from '../service';

export interface StreamTrimmerOptions {
  /** Entries kept at least: the newest, once read and acknowledged. */
  kept: number;
  /** How often the stream is trimmed, in ms. */
  intervalMs: number;
}

export class StreamTrimmer implements Service {
  readonly name = 'stream-trimmer';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: { stream: EventsStream; logger: Logger },
    private readonly options: StreamTrimmerOptions,
  ) {}

  async start(): Promise<void> {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.trim().then((more) => this.schedule(more ? 0 : this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }

  /** One trim; true when it went as far as one call may, so that another follows at once. */
  private async trim(): Promise<boolean> {
    try {
      const trimmed = await this.deps.stream.trim(this.options.kept);
      return trimmed >= TRIM_SCAN_LIMIT / 2;
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message }, 'could not trim the events stream');
      return false;
    }
  }
}
