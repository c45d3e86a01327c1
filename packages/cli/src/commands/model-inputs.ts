import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { countLabels, type LabelArray, type LabelCounts } from '@ncscope/core';
import { SAMPLE_BLOCKS, SAMPLE_BLOCK_BYTES, WHOLE_HASH_BYTES, checkLabelShape, inputFingerprint, openInput, type OpenedInput } from '@ncscope/io';
import { openImageFolder, openImageInput, type ImageTransform } from '@ncscope/io/images';
import { openTable, readClassNames, type TableSource } from '@ncscope/io/tables';
import { CliError } from '../errors.js';
import { checkImageFlags, describeTransform, imageTransform, type ImageFlags } from './image-options.js';
import type { TableFlags } from './table-options.js';

/** Where a model's input rows come from: arrays (`--inputs/--labels`), an image folder, or a table. */
export interface ModelInputFlags extends ImageFlags, TableFlags {
  inputs?: string;
  labels?: string;
  inputsKey?: string;
  labelsKey?: string;
  /** As given; undefined: the K rule's default. */
  emptyClasses?: 'exclude' | 'error';
}

/** Rows of model input (an @ncscope/onnx InputArray) with their labels. */
export interface ModelRows {
  /** `shape` [N, …], `read(start, count)`, `source`. */
  input: { readonly shape: readonly number[]; readonly source: string; read(start: number, count: number): Promise<ArrayLike<number> & { length: number }> | ArrayLike<number> };
  labels: LabelArray;
  counts: LabelCounts;
  /** Class names when the input knows them (image folders, string labels, a ClassLabel column). */
  classes?: string[];
  /** K stated by the input (an image folder's classes, a classes file, string labels); undefined: the K rule decides. */
  K?: number;
  /** The input's path (the --inputs file, the image folder, the table). */
  path: string;
  /** How the rows are made, for tables and JSON: `ImageFolder val/ → Resize(256) → …`. */
  description: string;
  /** Where the labels come from, for messages. */
  labelsWhere: string;
  /** SHA-256 identifying the input by content (sampled like feature files), for statistics shard records. */
  fingerprint(): Promise<string>;
  close(): Promise<void>;
}

/** The first of these flags present names the input kind; giving two kinds is refused. */
function inputKind(o: ModelInputFlags, command: string): 'arrays' | 'images' | 'table' {
  const kinds = [o.inputs !== undefined && '--inputs', o.images !== undefined && '--images', o.table !== undefined && '--table'].filter(Boolean) as string[];
  if (kinds.length > 1) throw new CliError(`${command}: give one of ${kinds.join(', ')} (they are alternative sources of the model's inputs)`);
  if (kinds.length === 0) throw new CliError(`${command}: the model needs inputs: --inputs FILE --labels FILE (arrays), --images DIR (an image folder) or --table FILE (Parquet/Arrow)`);
  return o.images !== undefined ? 'images' : o.table !== undefined ? 'table' : 'arrays';
}

/**
 * Opens the model inputs a command was given. Arrays: `--inputs` rows read on demand, `--labels` read whole.
 * Images: the folder listed in torchvision's order, decoded ahead in worker threads. Tables: an image column
 * decoded the same way, or a numeric features column fed as the model's input vectors; labels from the labels
 * column. Labels are read and checked (non-negative integers) before any input row.
 */
export async function openModelRows(o: ModelInputFlags, command: string): Promise<ModelRows> {
  const kind = inputKind(o, command);
  if (kind !== 'arrays' && (o.labels !== undefined || o.labelsKey !== undefined || o.inputsKey !== undefined)) {
    throw new CliError(`${command}: --labels, --labels-key and --inputs-key go with --inputs; ${kind === 'images' ? 'an image folder labels its images by class folder' : 'a table gives its labels with --labels-column'}`);
  }
  if (kind !== 'table' && (o.featuresColumn !== undefined || o.labelsColumn !== undefined || o.imageColumn !== undefined)) {
    throw new CliError(`${command}: --features-column, --labels-column and --image-column go with --table`);
  }
  if (kind === 'images') return openImages(o);
  if (kind === 'table') return openTableRows(o);
  checkImageFlags(o, false);
  return openArrays(o, command);
}

async function openArrays(o: ModelInputFlags, command: string): Promise<ModelRows> {
  if (o.labels === undefined) throw new CliError(`${o.inputs}: --labels <file> is required with --inputs`);
  const inputs = await openInput(o.inputs!, 'features', o.inputsKey);
  let labelsFile: OpenedInput | undefined;
  try {
    labelsFile = await openInput(o.labels, 'labels', o.labelsKey);
    const x = inputs.tensor;
    const l = labelsFile.tensor;
    if (x.shape.length < 1 || x.rows === 0) throw new CliError(`${x.where}: no samples (shape ${x.shapeText})`);
    checkLabelShape(l, x.rows, x.where, 'samples');
    const labels = await l.readAll(); // any numeric dtype: integer-valued floats are class indices too
    const scan = countLabels(labels, { source: l.where });
    const labelsOpened = labelsFile;
    return {
      input: { shape: x.shape, source: x.where, read: (start, count) => x.readRows(start, count) },
      labels,
      counts: scan,
      path: o.inputs!,
      description: `${x.where} (${x.shapeText} ${x.typeName})`,
      labelsWhere: l.where,
      fingerprint: () => inputFingerprint(inputs, labelsOpened),
      close: async () => {
        await inputs.close();
        await labelsOpened.close();
      },
    };
  } catch (e) {
    await inputs.close();
    await labelsFile?.close();
    void command;
    throw e;
  }
}

async function openImages(o: ModelInputFlags): Promise<ModelRows> {
  const transform = imageTransform(o);
  const images = await openImageFolder(o.images!, transform, { classesFile: o.classesFile, emptyClasses: o.emptyClasses, workers: o.decodeWorkers });
  try {
    const scan = countLabels(images.labels, { source: o.images! });
    const files = images.folder.samples;
    return {
      input: images,
      labels: images.labels,
      counts: scan,
      classes: images.classes,
      K: images.classes.length,
      path: o.images!,
      description: `ImageFolder ${o.images} (${images.classes.length} classes, ${files.length} images) → ${describeTransform(transform)} → ${images.shape.slice(1).join(' × ')}`,
      labelsWhere: `${o.images} (class folders)`,
      fingerprint: () => imagesFingerprint(images.classes, files, transform),
      close: () => images.close(),
    };
  } catch (e) {
    await images.close();
    throw e;
  }
}

async function openTableRows(o: ModelInputFlags): Promise<ModelRows> {
  const table = await openTable(o.table!, { featuresColumn: o.featuresColumn, labelsColumn: o.labelsColumn, imageColumn: o.imageColumn, classes: o.classesFile !== undefined ? await readClassNames(o.classesFile) : undefined });
  let closeInput = async () => {};
  try {
    if (!table.labels) throw new CliError(`${o.table}: no labels column (name it with --labels-column; columns: ${table.file.columns.map((c) => c.name).join(', ')})`);
    const labels = await table.readLabels();
    const scan = countLabels(labels, { source: `${o.table}: column '${table.labels.column}'` });
    const classes = table.labels.classes;
    const useImages = table.image !== undefined && o.featuresColumn === undefined;
    checkImageFlags(o, useImages);
    let input: ModelRows['input'];
    let description: string;
    if (useImages) {
      const transform = imageTransform(o);
      const images = await openImageInput({ count: table.rows, jobs: (s, c) => table.imageJobs(s, c) }, transform, { source: o.table, workers: o.decodeWorkers });
      closeInput = () => images.close();
      input = images;
      description = `${o.table}: column '${table.image!.column}' (${table.rows} images) → ${describeTransform(transform)} → ${images.shape.slice(1).join(' × ')}`;
    } else if (table.features) {
      input = tableFeaturesInput(table);
      description = `${o.table}: ${table.features.description} as model inputs`;
    } else {
      throw new CliError(`${o.table}: neither an image column (--image-column) nor a features column (--features-column) to feed the model`);
    }
    return {
      input,
      labels,
      counts: scan,
      classes,
      K: table.labels.kind === 'string' ? classes?.length : undefined,
      path: o.table!,
      description,
      labelsWhere: `${o.table}: column '${table.labels.column}'`,
      fingerprint: () => tableFingerprint(o.table!, [table.labels!.column, ...(useImages ? [table.image!.column] : table.features!.columns)]),
      close: async () => {
        await closeInput();
        await table.close();
      },
    };
  } catch (e) {
    await closeInput();
    await table.close();
    throw e;
  }
}

/** A table's numeric features as model input rows [N, D]; a read may span stored chunks. */
function tableFeaturesInput(table: TableSource): ModelRows['input'] {
  const f = table.features!;
  let D = f.D;
  return {
    get shape() {
      return [table.rows, D];
    },
    source: table.path,
    async read(start, count) {
      const parts: (Float32Array | Float64Array)[] = [];
      for await (const b of table.batches(start, start + count, count, { features: true })) {
        parts.push(b.features!);
        D = b.features!.length / b.rows;
      }
      if (parts.length === 1) return parts[0];
      const out = new (f.float32 ? Float32Array : Float64Array)(count * D);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    },
  };
}

/**
 * An image folder's fingerprint: its classes, the transform, every image's name and size, and the bytes of up to 64
 * images spread evenly over the list (first 16 KiB and last 16 KiB of each): what every task of a job computes from the
 * folder alone, at the cost of a stat per image and ≤ 2 MiB of reads.
 */
async function imagesFingerprint(classes: string[], files: { path: string; name: string; label: number }[], transform: ImageTransform): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`ncscope.images/1\n${JSON.stringify(classes)}\n${JSON.stringify(transform)}\n`);
  for (const f of files) hash.update(`${f.label}\0${f.name}\0${(await stat(f.path)).size}\n`);
  const picks = files.length <= SAMPLE_BLOCKS ? files : Array.from({ length: SAMPLE_BLOCKS }, (_, j) => files[Math.round((j * (files.length - 1)) / (SAMPLE_BLOCKS - 1))]);
  for (const f of picks) await hashEnds(hash, f.path);
  return hash.digest('hex').slice(0, 32);
}

/** A table's fingerprint: the columns read, then its bytes (whole up to 2 MiB, else 64 blocks of 16 KiB spread evenly). */
export async function tableFingerprint(path: string, columns: string[]): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`ncscope.table/1\n${JSON.stringify(columns)}\n`);
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const read = async (at: number, n: number) => {
      const b = Buffer.alloc(n);
      await fh.read(b, 0, n, at);
      hash.update(b);
    };
    if (size <= WHOLE_HASH_BYTES) await read(0, size);
    else {
      const step = (size - SAMPLE_BLOCK_BYTES) / (SAMPLE_BLOCKS - 1);
      for (let j = 0; j < SAMPLE_BLOCKS; j++) await read(Math.round(j * step), SAMPLE_BLOCK_BYTES);
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex').slice(0, 32);
}

async function hashEnds(hash: ReturnType<typeof createHash>, path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const n = Math.min(size, SAMPLE_BLOCK_BYTES);
    const head = Buffer.alloc(n);
    await fh.read(head, 0, n, 0);
    hash.update(head);
    if (size > SAMPLE_BLOCK_BYTES) {
      const tail = Buffer.alloc(n);
      await fh.read(tail, 0, n, size - n);
      hash.update(tail);
    }
  } finally {
    await fh.close();
  }
}

/** A model file's fingerprint (sampled like an input file), so shards of different checkpoints never merge. */
export async function modelFingerprint(path: string): Promise<string> {
  return tableFingerprint(path, ['model']);
}
