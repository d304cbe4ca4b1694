// One Lua script file as an ioredis command. Files are named <name>-<numKeys>.lua, or <name>-n.lua
// for a script that takes any number of keys; a line `--@include <name>` is replaced by the file
// <name>.lua from the script's own folder or from one of Herald's shared include folders (the
// circuit breaker's transitions, say), so that a mechanism spelled in Lua has one home. Each
// script is wrapped by one typed function, beside the module that owns what the script writes.
import { readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ChainableCommander } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import type { RedisClient } from '../redis-client';
import { redisReplyCode } from '../errors/redis-reply';

export type LuaArg = string | number | Buffer;

/** Folders searched for `--@include` files after the script's own. */
const SHARED_INCLUDE_DIRS = [__dirname, ...['circuit', 'dead-letters', 'store', 'stream', 'payloads', 'parking', 'partitions', 'fifo'].map((folder) => join(__dirname, '..', folder))];

type Command = (...args: LuaArg[]) => Promise<unknown>;
type QueuedCommand = (...args: LuaArg[]) => ChainableCommander;

/**
 * With HERALD_ASSERT_ONE_SLOT=true (the tests set it) every call checks that its KEYS share one
 * hash slot, as Redis Cluster demands: a single Redis would not say so, a cluster only in production.
 */
const assertOneSlot = process.env.HERALD_ASSERT_ONE_SLOT === 'true';

/** Every script made so far: a new connection gets them all at once (see defineLuaScripts). */
const allScripts: LuaScript[] = [];

/**
 * Defines every script made so far on a new connection, before it sends anything. Scripts are
 * module constants, made when their modules load, so a connection made at start knows them all.
 */
export function defineLuaScripts(redis: RedisClient): void {
  for (const script of allScripts) script.define(redis, { fresh: true });
}

export class LuaScript {
  /** The ioredis command name: unique per file. */
  readonly name: string;
  readonly lua: string;
  private readonly numberOfKeys: number | undefined;

  constructor(file: string) {
    const match = /-(\d+|n)\.lua$/.exec(file);
    if (!match) throw new Error(`Lua script ${file} must be named <name>-<numKeys>.lua or <name>-n.lua`);
    this.numberOfKeys = match[1] === 'n' ? undefined : Number(match[1]);
    this.name = `herald_${basename(file, '.lua').replace(/[^A-Za-z0-9]/g, '_')}`;
    this.lua = expandIncludes(readFileSync(file, 'utf8'), [dirname(file), ...SHARED_INCLUDE_DIRS], new Set());
    allScripts.push(this);
  }

  /**
   * Runs the script now (EVALSHA, loading it on the first call of each connection). On Redis
   * Cluster a node that has just taken a slot over may not know the script yet: a NOSCRIPT that
   * gets past ioredis sends the script itself (EVAL), once.
   */
  async run(redis: RedisClient, keys: readonly string[], args: readonly LuaArg[]): Promise<unknown> {
    this.define(redis);
    const command = (redis as unknown as Record<string, Command>)[this.name] as Command;
    const callArgs = this.callArgs(keys, args);
    try {
      return await command.call(redis, ...callArgs);
    } catch (error) {
      if (redisReplyCode(error) !== 'NOSCRIPT') throw error;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }

  /** Queues the script on a pipeline or transaction made from a connection it is defined on. */
  queue(pipeline: ChainableCommander, keys: readonly string[], args: readonly LuaArg[]): ChainableCommander {
    const command = (pipeline as unknown as Record<string, QueuedCommand | undefined>)[this.name];
    if (!command) throw new Error(`${this.name} is not defined on the connection this pipeline came from: call define() first`);
    return command.call(pipeline, ...this.callArgs(keys, args));
  }

  /**
   * Makes the script a command of `redis` (once per connection; pipelines made later inherit it).
   * On a connection that may have sent commands already (`fresh` not said), the script is kept out
   * of auto-pipelining: an auto-pipeline made before the definition lacks the command, and ioredis
   * would fail the whole pipeline. So is a script with any number of keys on a cluster client.
   */
  define(redis: RedisClient, { fresh = false }: { fresh?: boolean } = {}): void {
    if (this.name in redis) return;
    redis.defineCommand(this.name, this.numberOfKeys === undefined ? { lua: this.lua } : { numberOfKeys: this.numberOfKeys, lua: this.lua });
    // A cluster client groups auto-pipelined commands by the slot of their first argument, which
    // for a script with any number of keys is the number of keys, not a key: kept out too.
    const slotUnknown = this.numberOfKeys === undefined && (redis as { isCluster?: boolean }).isCluster === true;
    if (!fresh || slotUnknown) {
      const options = redis.options as { autoPipeliningIgnoredCommands?: string[] };
      // A new array: ioredis shares its default one among connections.
      options.autoPipeliningIgnoredCommands = [...(options.autoPipeliningIgnoredCommands ?? []), this.name];
    }
  }

  private callArgs(keys: readonly string[], args: readonly LuaArg[]): LuaArg[] {
    if (assertOneSlot) checkOneSlot(this.name, keys);
    return this.numberOfKeys === undefined ? [keys.length, ...keys, ...args] : [...keys, ...args];
  }
}

/**
 * Throws, naming the script and two keys, when `keys` span more than one hash slot. Keys without a
 * `{hash tag}` (one partition under a plain prefix, on one Redis) are not meant to share one.
 */
export function checkOneSlot(script: string, keys: readonly string[]): void {
  const first = keys[0];
  if (first === undefined || !/\{[^}]+\}/.test(first)) return;
  const slot = calculateSlot(first);
  const other = keys.find((key) => calculateSlot(key) !== slot);
  if (other !== undefined) throw new Error(`${script}: its keys span hash slots (${first} and ${other}); on Redis Cluster it would fail with CROSSSLOT`);
}

function expandIncludes(lua: string, dirs: readonly string[], seen: Set<string>): string {
  return lua.replace(/^--@include ([a-z0-9-]+)\s*$/gm, (_line, name: string) => {
    const file = dirs.map((dir) => join(dir, `${name}.lua`)).find((path) => existsSync(path));
    if (!file) throw new Error(`--@include ${name}: no ${name}.lua in ${dirs.join(', ')}`);
    if (seen.has(file)) return `-- (${name} included above)`;
    seen.add(file);
    return expandIncludes(readFileSync(file, 'utf8'), dirs, seen);
  });
}
