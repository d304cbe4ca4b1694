// Output for people (aligned tables) or scripts (--json).

export type Row = Record<string, unknown>;

function cell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A plain aligned table with a header row. */
export function table(rows: readonly Row[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

/** Key: value lines, for one object. */
export function details(object: Row): string {
  const width = Math.max(...Object.keys(object).map((k) => k.length));
  return Object.entries(object)
    .map(([key, value]) => `${key.padEnd(width)}  ${cell(value)}`)
    .join('\n');
}

export interface Printer {
  json: boolean;
  /** Prints `data` as JSON with --json, else `human()`. */
  print(data: unknown, human: () => string): void;
}

export function printer(json: boolean): Printer {
  return {
    json,
    print(data, human) {
      process.stdout.write(`${json ? JSON.stringify(data, null, 2) : human()}\n`);
    },
  };
}
