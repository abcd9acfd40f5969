/**
 * Command-line parsing shared by the commands: node's strict parseArgs, with every problem turned
 * into a UsageError (exit code 2) that names the option.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

export function parse<O extends Options>(argv: string[], options: O, positionals: { min: number; max: number; names: string }) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...HELP, ...options } as O & typeof HELP, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/^Unknown option/, 'unknown option'));
  }
  if (!(parsed.values as { help?: boolean }).help) {
    if (parsed.positionals.length < positionals.min) throw new UsageError(`missing ${positionals.names}`);
    if (parsed.positionals.length > positionals.max) throw new UsageError(`unexpected argument '${parsed.positionals[positionals.max]}'`);
  }
  return parsed;
}

/** An integer option within [lo, hi], or the default when absent. */
export function intOption(values: Record<string, unknown>, name: string, lo: number, hi: number, dflt: number): number;
export function intOption(values: Record<string, unknown>, name: string, lo: number, hi: number, dflt: null): number | null;
export function intOption(values: Record<string, unknown>, name: string, lo: number, hi: number, dflt: number | null): number | null {
  const raw = values[name];
  if (raw === undefined) return dflt;
  const text = String(raw);
  if (!/^-?\d+$/.test(text)) throw new UsageError(`--${name} must be an integer, got '${text}'`);
  const v = Number(text);
  if (v < lo || v > hi) throw new UsageError(`--${name} must be between ${lo} and ${hi}, got ${v}`);
  return v;
}

export function numberOption(values: Record<string, unknown>, name: string, lo: number, hi: number): number | null {
  const raw = values[name];
  if (raw === undefined) return null;
  const v = Number(raw);
  if (!Number.isFinite(v) || String(raw).trim() === '') throw new UsageError(`--${name} must be a number, got '${raw}'`);
  if (v < lo || v > hi) throw new UsageError(`--${name} must be between ${lo} and ${hi}, got ${v}`);
  return v;
}
