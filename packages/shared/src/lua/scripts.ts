// Loads Herald's Lua scripts (named <name>-<numKeys>.lua) and registers them on a connection.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';

const SCRIPTS = {
  heraldReplaceWebhook: 'replace-webhook-2.lua',
  heraldRemoveReplayedDeadLetters: 'remove-replayed-dead-letters-2.lua',
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** Defines the scripts as commands on `redis` (once per connection); ioredis runs them by EVALSHA. */
export function defineScripts(redis: Redis): void {
  for (const [name, file] of Object.entries(SCRIPTS)) {
    if (name in redis) continue;
    const numberOfKeys = Number(/-(\d+)\.lua$/.exec(file)?.[1]);
    redis.defineCommand(name, { numberOfKeys, lua: readFileSync(join(__dirname, file), 'utf8') });
  }
}

/** Calls a script defined by `defineScripts`. */
export function runScript(redis: Redis, name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
  const command = (redis as unknown as Record<ScriptName, (...a: (string | number)[]) => Promise<unknown>>)[name];
  return command.call(redis, ...keys, ...args);
}
