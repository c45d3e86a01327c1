import { analyze, countLabels, decideClassCount, serializeStatistics, spreadWork, type Batch, type Classifier, type NcReport, type SelectedEngine } from '@ncscope/core';
import { writeFilesAtomic } from '@ncscope/io';
import { openTable, readClassNames } from '@ncscope/io/tables';
import { CliError } from '../errors.js';
import { createProgress } from '../output/progress.js';
import { chooseEngine, engineLabel, releaseEngine } from '../run/engine.js';
import { CommandClock, type CommandTiming } from '../run/timing.js';
import { classesStated, type AnalyzeCommandOptions } from './analyze.js';
import type { TableFlags } from './table-options.js';

/** "classes (label: name): 0 cat, 1 dog, …", at most 50 shown. */
export function classMapNote(classes: readonly string[]): string {
  const shown = classes.slice(0, 50).map((c, i) => `${i} ${c}`).join(', ');
  return `classes (label: name): ${shown}${classes.length > 50 ? `, … (${classes.length} classes; all of them in --json, inputs.classes)` : ''}`;
}

/**
 * `ncscope analyze --table FILE`: the features column and the labels column of a Parquet or Arrow table, streamed
 * by row group through both passes. String labels are mapped to classes in sorted order; the map is printed and
 * written to the JSON (`inputs.classes`). Everything else is `analyze --features`'s: classifier, engine, outputs.
 */
export async function analyzeTable(
  options: AnalyzeCommandOptions & TableFlags,
  helpers: {
    readClassifierFiles(o: AnalyzeCommandOptions, D: number): Promise<Classifier>;
    render(report: NcReport, engineText: string, engineName: string, timing: CommandTiming, info: Record<string, unknown>, notes: string[], json: boolean): string;
    htmlPage(report: NcReport, source: string, seconds: number): Promise<string>;
  },
): Promise<{ text: string; report: NcReport }> {
  const path = options.table!;
  if (options.features !== undefined || options.labels !== undefined) throw new CliError(`${path}: --table replaces --features/--labels; give one or the other`);
  if (options.multiLabel || options.minSetCount !== undefined || options.ncmlab) throw new CliError(`${path}: multi-label analysis reads multi-hot label arrays (--labels); a table's labels column holds one label per row`);
  const clock = new CommandClock();
  const classes = options.classesFile !== undefined ? await readClassNames(options.classesFile) : undefined;
  const table = await clock.read(() => openTable(path, { featuresColumn: options.featuresColumn, labelsColumn: options.labelsColumn, classes }));
  let selected: SelectedEngine | undefined;
  const progress = createProgress(!options.json && process.stderr.isTTY === true, table.rows);
  try {
    const cols = table.file.columns.map((c) => c.name).join(', ');
    if (!table.features) throw new CliError(`${path}: no features column (name it with --features-column: a list column or a column prefix; columns: ${cols})`);
    if (!table.labels) throw new CliError(`${path}: no labels column (name it with --labels-column; columns: ${cols})`);
    if (table.rows === 0) throw new CliError(`${path}: no rows`);
    const D = table.features.D;
    const labelsWhere = `${path}: column '${table.labels.column}'`;
    const labels = await clock.read(() => table.readLabels());
    const counts = countLabels(labels, { source: labelsWhere });
    const classifier = options.weights !== undefined ? await clock.read(() => helpers.readClassifierFiles(options, D)) : undefined;
    if (options.bias !== undefined && options.weights === undefined) throw new CliError(`${options.bias}: --bias needs --weights (the classifier's K × D rows)`);
    const Kw = classifier ? classifier.weights.length / D : undefined;
    const names = table.labels.classes;
    const statedBy = Kw !== undefined
      ? { K: Kw, by: `the classifier ${options.weights} (${Kw} rows)` }
      : table.labels.kind === 'string' && names ? { K: names.length, by: `${labelsWhere} (${names.length} distinct labels)` } : undefined;
    const { K, emptyClasses } = decideClassCount(counts, { stated: [classesStated(options.classes), statedBy], emptyClasses: options.emptyClasses });
    selected = await chooseEngine(options.engine, spreadWork(table.rows, D, K, classifier !== undefined));
    // The driver's source: row groups read in batches (the driver times the reads).
    const source = () => (async function* (): AsyncGenerator<Batch> {
      for await (const b of table.batches(0, table.rows, options.batchSize, { features: true, labels: true })) yield { features: b.features!, labels: b.labels! };
    })();
    const result = await analyze(source, {
      K, classifier, engine: selected.engine, preset: options.preset, globalMean: options.globalMean, emptyClasses, minorityBelow: options.minorityBelow,
      cdnvExponent: options.cdnvExponent, normalize: options.normalize, temperature: options.temperature,
      onProgress: (phase, rows) => progress.update(phase, rows),
    });
    progress.stop();
    clock.add(result.timing);
    const outputs: { path: string; bytes: string }[] = [];
    if (options.saveStats !== undefined) outputs.push({ path: options.saveStats, bytes: serializeStatistics(result) });
    if (options.html !== undefined) outputs.push({ path: options.html, bytes: await helpers.htmlPage(result.report, path, clock.timing().seconds) });
    await writeFilesAtomic(outputs);
    const info = {
      table: path,
      features: `${path}: ${table.features.description}`,
      labels: labelsWhere,
      weights: options.weights,
      bias: options.bias,
      batchSize: options.batchSize,
      featureType: `${table.features.float32 ? 'float32' : 'float64'} (${table.rows}, ${D})`,
      ...(names ? { classes: names } : {}),
    };
    const notes = names ? [classMapNote(names)] : [];
    return { text: helpers.render(result.report, engineLabel(selected), selected.engine.name, clock.timing(), info, notes, options.json === true), report: result.report };
  } finally {
    progress.stop();
    await table.close();
    await releaseEngine(selected);
  }
}
