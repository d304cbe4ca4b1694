/** A long-running part of the worker. The supervisor starts them in order and stops them in reverse. */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  /** Stops taking work and finishes what is in hand. Called once. */
  stop(): Promise<void>;
}
