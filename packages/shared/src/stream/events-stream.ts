// The events stream as a piece of state: the fan-out group on it, the backlog that group has not
// read, and trimming that never drops an entry the group is not done with. The Lua side of the
// same rules is events-stream.lua, included by the scripts that append to the stream and trim it.
import { join } from 'node:path';
import { FANOUT_GROUP, type RedisKeys } from '../keys';
import { LuaScript } from '../lua/lua-script';
import type { RedisClient } from '../redis-client';

const TRIM = new LuaScript(join(__dirname, 'trim-events-stream-1.lua'));
const UNREAD = new LuaScript(join(__dirname, 'unread-events-1.lua'));
const ENSURE_GROUP = new LuaScript(join(__dirname, 'ensure-group-1.lua'));

/** Most entries one trim looks at: a trim holds Redis for a few milliseconds at most. */
export const TRIM_SCAN_LIMIT = 10_000;

export class EventsStream {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Creates the `fanout` consumer group (and the stream) if missing. It starts at the beginning of
   * the stream, so events published before any worker ever ran are still delivered.
   */
  async ensureGroup(): Promise<void> {
    await ENSURE_GROUP.run(this.redis, [this.keys.eventsStream], [FANOUT_GROUP]);
  }

  /** Events appended and not read by any worker yet; undefined when Redis cannot tell (before Redis 7). */
  async unread(): Promise<number | undefined> {
    const count = Number(await UNREAD.run(this.redis, [this.keys.eventsStream], [FANOUT_GROUP]));
    return count < 0 ? undefined : count;
  }

  /**
   * Trims the oldest entries the fan-out group has read and acknowledged, keeping at least the
   * newest `kept` (the history `GET /v1/events` reads). Entries not read yet, or still being
   * delivered, are never trimmed, however long the stream grows. Returns how many went.
   */
  async trim(kept: number): Promise<number> {
    return Number(await TRIM.run(this.redis, [this.keys.eventsStream], [FANOUT_GROUP, kept, TRIM_SCAN_LIMIT]));
  }
}
