import { Option, type Command } from 'commander';
import type { PoolMode } from '@ncscope/onnx';
import { inputFile } from '../output/file-options.js';
import { addImageOptions } from './image-options.js';
import type { ModelInputFlags } from './model-inputs.js';
import { addTableOptions } from './table-options.js';

/**
 * `ncscope stats means|spread --model m.onnx`: the two phases of a sharded statistics job computed from a model's
 * features instead of a features file — each task runs the model on its rows (`--shard i/n` splits the samples:
 * rows of `--inputs`, images of `--images`, rows of `--table`) and writes the same statistics files as the features
 * form, so `stats merge` and `analyze --stats` (with `--model` for the graph's classifier) finish the job.
 */
export interface ModelStatsFlags extends ModelInputFlags {
  model?: string;
  tensor?: string;
  inputName?: string;
  pool: PoolMode;
  ep: string[];
}

const collectList = (value: string, previous: string[]) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

/** Adds `--model` and the model-input flags (arrays, images, tables) to a `stats means|spread` command. */
export function addModelOptions(command: Command): Command {
  command
    .addOption(inputFile(new Option('--model <file>', 'an ONNX model: compute the statistics from its features (--tensor, default the classifier\'s input) on --inputs, --images or --table, instead of --features')))
    .option('--tensor <name>', 'with --model: the feature tensor (default: the input of the final linear classifier)')
    .option('--input-name <name>', "with --model: the graph input fed (default: the model's only input)")
    .addOption(new Option('--pool <mode>', 'with --model: feature maps N×C×H×W flattened, or averaged over H×W').choices(['flatten', 'avg']).default('flatten'))
    .addOption(new Option('--ep <name>', 'with --model: onnxruntime execution provider(s)').argParser(collectList).default([], 'cpu'))
    .addOption(inputFile(new Option('--inputs <file>', 'with --model: model inputs, N × … (.npy, .npz or .safetensors), with --labels')))
    .option('--inputs-key <name>', 'with --inputs: array to read in an .npz/.safetensors file');
  addImageOptions(command);
  addTableOptions(command, { features: true, images: true });
  return command;
}

