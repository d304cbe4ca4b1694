import type { Command } from 'commander';
import type { Herald } from '@herald/sdk';
import { CliError, EXIT, heraldClient } from './client';
import { printer, type Printer } from './output';

export interface Context {
  herald: Herald;
  out: Printer;
}

/** The API's URL: --api-url, else HERALD_API_URL, else the local default. */
export function apiUrlOf(options: { apiUrl?: string }): string {
  return options.apiUrl ?? process.env.HERALD_API_URL ?? 'http://127.0.0.1:8080';
}

/** The API client and printer for a command, from HERALD_API_URL, HERALD_TOKEN and --json. */
export function contextOf(command: Command): Context {
  const options = command.optsWithGlobals<{ json?: boolean; apiUrl?: string; token?: string }>();
  const token = options.token ?? process.env.HERALD_TOKEN;
  if (!token) throw new CliError('no API token: set HERALD_TOKEN (or pass --token)', EXIT.usage);
  return { herald: heraldClient(apiUrlOf(options), token), out: printer(Boolean(options.json)) };
}

/** Parses a "key=value" option into a record. */
export function collectPairs(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const separator = value.indexOf('=');
  if (separator <= 0) throw new CliError(`expected name=value, got "${value}"`, EXIT.usage);
  return { ...previous, [value.slice(0, separator)]: value.slice(separator + 1) };
}

export function parseJsonArgument(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${what} is not valid JSON: ${(error as Error).message}`, EXIT.usage);
  }
}
