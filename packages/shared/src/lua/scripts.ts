// Loads Lua scripts (named <name>-<numKeys>.lua, so the key count is in the name, or <name>-n.lua
// for a script that takes any number of keys) as ioredis commands, and calls them on a connection
// or a pipeline. Every Herald script goes through here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../redis-client';

type LuaArg = string | number;

/** Scripts that take any number of keys. */
const anyKeyCount = new Set<string>();

/** Defines each `{ commandName: file }` from `dir` on `redis` (once per connection); run by EVALSHA. */
export function defineLuaCommands(redis: RedisClient, dir: string, scripts: Record<string, string>): void {
  for (const [name, file] of Object.entries(scripts)) {
    const keyCount = /-(\d+|n)\.lua$/.exec(file)?.[1];
    if (keyCount === undefined) throw new Error(`Lua script ${file} must be named <name>-<numKeys>.lua or <name>-n.lua`);
    if (keyCount === 'n') anyKeyCount.add(name);
    if (name in redis) continue;
    const lua = readFileSync(join(dir, file), 'utf8');
    redis.defineCommand(name, keyCount === 'n' ? { lua } : { numberOfKeys: Number(keyCount), lua });
  }
}

/** The arguments of a call: the key count goes first for a script that takes any number of keys. */
function callArgs(name: string, keys: readonly string[], args: readonly LuaArg[]): LuaArg[] {
  return anyKeyCount.has(name) ? [keys.length, ...keys, ...args] : [...keys, ...args];
}

/** Runs a defined script now. */
export function callLua(redis: RedisClient, name: string, keys: readonly string[], args: readonly LuaArg[]): Promise<unknown> {
  const command = (redis as unknown as Record<string, ((...a: LuaArg[]) => Promise<unknown>) | undefined>)[name];
  if (!command) throw new Error(`Lua command ${name} is not defined on this connection`);
  return command.call(redis, ...callArgs(name, keys, args));
}

/** Queues a defined script on a pipeline (its reply comes with the pipeline's). */
export function queueLua(pipeline: ChainableCommander, name: string, keys: readonly string[], args: readonly LuaArg[]): ChainableCommander {
  const command = (pipeline as unknown as Record<string, ((...a: LuaArg[]) => ChainableCommander) | undefined>)[name];
  if (!command) throw new Error(`Lua command ${name} is not defined on this connection`);
  return command.call(pipeline, ...callArgs(name, keys, args));
}

const SHARED_SCRIPTS = {
  heraldWriteWebhook: 'write-webhook-4.lua',
  heraldWebhookChanges: 'webhook-changes-4.lua',
  heraldRemoveReplayedDeadLetters: 'remove-replayed-dead-letters-n.lua',
  heraldIndexDeadLetters: 'index-dead-letters-n.lua',
} as const;

export type ScriptName = keyof typeof SHARED_SCRIPTS;

/** Defines the shared package's own scripts on `redis`. */
export function defineScripts(redis: RedisClient): void {
  defineLuaCommands(redis, __dirname, SHARED_SCRIPTS);
}

/** Calls one of the shared package's scripts. */
export function runScript(redis: RedisClient, name: ScriptName, keys: string[], args: LuaArg[]): Promise<unknown> {
  return callLua(redis, name, keys, args);
}
