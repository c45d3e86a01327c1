import { Option, type Command } from 'commander';
import { inputFile } from '../output/file-options.js';

/** The table flags of `analyze`, `head`, `ood`, `stats` and `onnx` (images from a table's image column). */
export interface TableFlags {
  table?: string;
  /** Class names in label order for string labels (commands with image flags share theirs). */
  classesFile?: string;
  featuresColumn?: string;
  labelsColumn?: string;
  imageColumn?: string;
}

/**
 * Adds `--table FILE` (Parquet, or Arrow IPC / Feather v2) and its column flags. `images` adds `--image-column`
 * (for commands that run a model); `features` adds `--features-column` (for commands that read features).
 */
export function addTableOptions(command: Command, what: { features?: boolean; images?: boolean } = { features: true }): Command {
  command.addOption(inputFile(new Option('--table <file>', `a Parquet or Arrow IPC (Feather v2) file holding the ${what.features ? 'features' : 'images'} and labels, read by row group`)));
  if (what.features) command.option('--features-column <name>', 'with --table: a list column of numbers per row (fixed-size list or list<float>), or the prefix of numeric columns (feat_ → feat_0, feat_1, …; default: a list column named features, embeddings or embedding)');
  command.option('--labels-column <name>', 'with --table: integer labels, or strings mapped to classes in sorted order (default: label or labels)');
  if (what.images) command.option('--image-column <name>', "with --table: images as Hugging Face datasets store them ({bytes, path} structs) or encoded bytes (default: image)");
  // Commands with image flags have --classes-file already (one flag for folders and string labels).
  if (!command.options.some((o) => o.long === '--classes-file')) command.addOption(inputFile(new Option('--classes-file <file>', 'with --table: class names of string labels, one per line, in label order; a label outside them is refused (default: the labels sorted)')));
  return command;
}
