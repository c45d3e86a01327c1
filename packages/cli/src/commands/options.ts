import { Option } from 'commander';
import { CliError } from '../errors.js';

/** Options several commands share, defined once so their parsing and help read the same everywhere. */

/** A commander argument parser for a positive integer flag; errors name the flag. */
export function positiveInteger(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new CliError(`${flag}: expected a positive integer, got '${value}'`);
    return n;
  };
}

/** `--batch-size <rows>` with its default. */
export function batchSizeOption(defaultRows: number, description = 'rows read from disk per batch'): Option {
  return new Option('--batch-size <rows>', description).argParser(positiveInteger('--batch-size')).default(defaultRows);
}

/** `--classes <K>` (core's decideClassCount is the K rule); `defaultText` says where K comes from without it. */
export function classesOption(defaultText: string, description = 'number of classes'): Option {
  return new Option('--classes <K>', `${description} (default: ${defaultText})`).argParser(positiveInteger('--classes'));
}

/** `--empty-classes`: no default value, so "given" can be told from "not given" (core's K rule, decideClassCount). */
export function emptyClassesOption(): Option {
  return new Option(
    '--empty-classes <mode>',
    'classes below K with no samples: exclude them (with a warning), or refuse (default: exclude when K is stated by --classes or a classifier; refuse gaps between labels when K is the largest label + 1)',
  ).choices(['exclude', 'error']);
}
