// Argument parsing shared by the subcommands (node:util parseArgs), with usage errors as values.

import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  readonly code = 'usage';
}

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** An integer option within [min, max], or `fallback` when absent. */
export function intOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  return rangeOption(value, name, fallback, [min, max], 'an integer');
}

/** A number option within [min, max], or `fallback` when absent. */
export function numberOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  return rangeOption(value, name, fallback, [min, max], 'a number');
}

function rangeOption(
  value: string | undefined,
  name: string,
  fallback: number,
  [min, max]: [number, number],
  kind: 'an integer' | 'a number',
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const valid = kind === 'an integer' ? Number.isInteger(n) : Number.isFinite(n);
  if (!valid || n < min || n > max) {
    throw new UsageError(`--${name} must be ${kind} from ${min} to ${max} (got '${value}')`);
  }
  return n;
}
