import { Option, type Command } from 'commander';
import type { ImageTransform } from '@ncscope/io/images';
import { CliError } from '../errors.js';
import { inputFile } from '../output/file-options.js';

/**
 * The image flags of every command that runs a model on inputs (`onnx`, `stats means|spread --model`, `ood`): an
 * image folder in torchvision's ImageFolder layout and the transforms of torchvision's evaluation pipeline, in its
 * order — Resize → CenterCrop → Grayscale → ToTensor → Normalize — so that a model sees what it saw in PyTorch.
 */
export interface ImageFlags {
  images?: string;
  /** Label order of image folders, or of a table's string labels. */
  classesFile?: string;
  resize?: number | [number, number];
  centerCrop?: [number, number];
  interpolation?: 'bilinear' | 'bicubic' | 'lanczos';
  channels?: 1 | 3;
  mean?: number[];
  std?: number[];
  layout?: 'nchw' | 'nhwc';
  decodeWorkers?: number;
}

/** `N` or `H,W` (also `HxW`): a size in pixels. */
function parseSize(flag: string, square: boolean): (value: string) => number | [number, number] {
  return (value) => {
    const parts = value.split(/[,x×]/).map((s) => s.trim());
    const nums = parts.map(Number);
    if (parts.length > 2 || parts.some((p) => !/^\d+$/.test(p)) || nums.some((n) => !Number.isSafeInteger(n) || n < 1)) {
      throw new CliError(`${flag}: expected a size in pixels, N or H,W (e.g. ${flag} 224 or ${flag} 224,256), got '${value}'`);
    }
    if (nums.length === 1) return square ? [nums[0], nums[0]] : nums[0];
    return [nums[0], nums[1]];
  };
}

/** `a` or `a,b,c`: finite numbers, one per channel or one for all. */
function parseNumbers(flag: string): (value: string) => number[] {
  return (value) => {
    const parts = value.split(',').map((s) => s.trim());
    const nums = parts.map(Number);
    if (parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n))) throw new CliError(`${flag}: expected one number or one per channel, comma-separated (e.g. 0.485,0.456,0.406), got '${value}'`);
    return nums;
  };
}

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new CliError(`--decode-workers: expected a non-negative integer (0 decodes in the main thread), got '${value}'`);
  return n;
}

/** Adds `--images DIR` and the transform flags ({@link addImageTransformOptions}) to a command. */
export function addImageOptions(command: Command): Command {
  command.addOption(inputFile(new Option('--images <dir>', 'an image folder as model inputs: DIR/<class>/<image>, torchvision\'s ImageFolder layout (classes sorted by name give labels 0..K−1; .png .jpg .jpeg .webp .bmp .tif .tiff) (default: none; or --inputs, --table)')));
  return addImageTransformOptions(command);
}

/**
 * Adds the transform flags alone (`--classes-file --resize --center-crop --interpolation --channels --mean --std
 * --layout --decode-workers`), for commands whose image folders come from flags of their own (`ood`).
 */
export function addImageTransformOptions(command: Command): Command {
  return command
    .addOption(inputFile(new Option('--classes-file <file>', 'class names, one per line, in label order: of the --images folders, or of string labels in --table (default: sorted by name)')))
    .addOption(new Option('--resize <size>', "with --images: torchvision's Resize: N resizes the shorter side to N, H,W to exactly H × W (antialiased, as PIL) (default: no resize)").argParser(parseSize('--resize', false)))
    .addOption(new Option('--center-crop <size>', "with --images: torchvision's CenterCrop, N or H,W (zero padding when larger than the image) (default: no crop)").argParser(parseSize('--center-crop', true)))
    .addOption(new Option('--interpolation <filter>', 'with --resize: the resampling filter').choices(['bilinear', 'bicubic', 'lanczos']).default('bilinear'))
    .addOption(new Option('--channels <n>', "with --images: 3 = RGB; 1 = PIL's 'L' luma (torchvision's Grayscale)").choices(['1', '3']).argParser((v) => Number(v) as 1 | 3).default(3))
    .addOption(new Option('--mean <values>', "with --images: Normalize's mean, one value or one per channel (e.g. 0.485,0.456,0.406) (default: 0, ToTensor alone)").argParser(parseNumbers('--mean')))
    .addOption(new Option('--std <values>', "with --images: Normalize's std, one value or one per channel (e.g. 0.229,0.224,0.225) (default: 1)").argParser(parseNumbers('--std')))
    .addOption(new Option('--layout <order>', 'with --images: sample layout the model takes').choices(['nchw', 'nhwc']).default('nchw'))
    .addOption(new Option('--decode-workers <n>', 'with --images: decoding threads, which work ahead of the model (default: one per core; 0 = in the main thread)').argParser(parseWorkers));
}

/** The transform of the image flags. */
export function imageTransform(o: ImageFlags): ImageTransform {
  return { resize: o.resize, centerCrop: o.centerCrop, interpolation: o.interpolation, channels: o.channels, mean: o.mean, std: o.std, layout: o.layout };
}

/** Image flags given without --images (or a table's image column) are refused: they would silently do nothing. */
export function checkImageFlags(o: ImageFlags, usesImages: boolean): void {
  if (usesImages) return;
  const given = [
    ['--resize', o.resize], ['--center-crop', o.centerCrop], ['--mean', o.mean], ['--std', o.std],
    ['--decode-workers', o.decodeWorkers],
  ].filter(([, v]) => v !== undefined).map(([f]) => f);
  if (given.length > 0) throw new CliError(`${given.join(', ')} appl${given.length > 1 ? 'y' : 'ies'} to images (--images DIR, or --table with --image-column)`);
}

/** "ImageFolder val/ (1000 classes, 50000 images) → Resize(256) CenterCrop(224×224) ToTensor Normalize(…)", for tables and JSON. */
export function describeTransform(t: ImageTransform): string {
  const steps: string[] = [];
  if (t.resize !== undefined) steps.push(`Resize(${typeof t.resize === 'number' ? t.resize : t.resize.join('×')}${t.interpolation && t.interpolation !== 'bilinear' ? `, ${t.interpolation}` : ''})`);
  if (t.centerCrop) steps.push(`CenterCrop(${t.centerCrop.join('×')})`);
  if (t.channels === 1) steps.push('Grayscale');
  steps.push('ToTensor');
  if (t.mean || t.std) steps.push(`Normalize(${(t.mean ?? [0]).join(',')}; ${(t.std ?? [1]).join(',')})`);
  if (t.layout === 'nhwc') steps.push('NHWC');
  return steps.join(' → ');
}
