import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ioError } from './errors.js';

/** File name endings read as images (compared in lower case, as torchvision does). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.tif', '.tiff'];

/** Options of {@link listImageFolder}. */
export interface ImageFolderOptions {
  /**
   * A text file with one class name per line (blank lines ignored): line i is label i. Every class folder must be
   * listed; a listed class without a folder is an empty class. Default: the folder names, sorted.
   */
  classesFile?: string;
  /**
   * A class with no image: 'error' (default, as torchvision refuses it) or 'exclude' (kept with its label index
   * and no samples, as torchvision's `allow_empty=True`; the metrics then skip it).
   */
  emptyClasses?: 'error' | 'exclude';
  /**
   * false: every image under the folder (recursively, class folders or not) with no label — for sets that are
   * only scored, such as out-of-distribution sets. Default true (the ImageFolder layout).
   */
  labelled?: boolean;
}

/** One image of a folder: its path and its label (−1 when unlabelled). */
export interface ImageSample {
  path: string;
  /** Path relative to the folder, '/'-separated (for messages and fingerprints). */
  name: string;
  label: number;
}

/** An image folder listed in torchvision's order. */
export interface ImageFolder {
  root: string;
  /** Class names; index = label. Empty when unlabelled. */
  classes: string[];
  samples: ImageSample[];
  /** One label per sample (−1 when unlabelled). */
  labels: Int32Array;
  /** Classes (indices) with no image, kept because emptyClasses was 'exclude'. */
  emptyClasses: number[];
}

/** Python's string order (by code points); JavaScript's default sort compares UTF-16 units instead. */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const hidden = (name: string) => name.startsWith('.');
export const isImageName = (name: string): boolean => !hidden(name) && IMAGE_EXTENSIONS.some((e) => name.toLowerCase().endsWith(e));

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory(); // follows symbolic links, as Python's is_dir()
  } catch {
    return false;
  }
}

/**
 * Every image under `dir`, in the order of torchvision's `make_dataset`: `sorted(os.walk(dir, followlinks=True))`
 * (folders by their path), file names sorted within each folder. Hidden files and folders are skipped; a folder
 * reached twice through symbolic links is read once.
 */
async function walkImages(dir: string, rel: string, seen: Set<string>): Promise<{ path: string; name: string }[]> {
  const folders: { rel: string; files: string[] }[] = [];
  const visit = async (abs: string, r: string): Promise<void> => {
    const real = await realpath(abs);
    if (seen.has(real)) return;
    seen.add(real);
    const entries = await readdir(abs, { withFileTypes: true });
    const files: string[] = [];
    for (const e of entries) {
      if (hidden(e.name)) continue;
      const p = join(abs, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && (await isDirectory(p)))) await visit(p, r ? `${r}/${e.name}` : e.name);
      else if (isImageName(e.name)) files.push(e.name);
    }
    folders.push({ rel: r, files: files.sort(compareCodePoints) });
  };
  await visit(dir, '');
  folders.sort((a, b) => compareCodePoints(a.rel, b.rel));
  return folders.flatMap((f) => f.files.map((name) => {
    const relName = f.rel ? `${f.rel}/${name}` : name;
    return { path: join(dir, ...relName.split('/')), name: rel ? `${rel}/${relName}` : relName };
  }));
}

/**
 * Lists an image folder as torchvision's `ImageFolder` does: `dir/<class>/…/<image>`, classes sorted by folder name
 * (code-point order, like Python's `sorted`) giving labels 0 … K−1, images found recursively in each class folder
 * with the extensions of {@link IMAGE_EXTENSIONS}. Differences from torchvision, on purpose: hidden files and
 * folders (names starting with '.', such as `.ipynb_checkpoints`) are skipped rather than taken for a class or an
 * image. Refused with a named error: a path that is not a folder, a folder without class folders, a class
 * without images (unless emptyClasses 'exclude'), a classes file that misses a folder or names one twice.
 */
export async function listImageFolder(dir: string, options: ImageFolderOptions = {}): Promise<ImageFolder> {
  let info;
  try {
    info = await stat(dir);
  } catch (e) {
    throw ioError('BAD_FILE', `${dir}: cannot read the image folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { source: dir });
  }
  if (!info.isDirectory()) throw ioError('BAD_FILE', `${dir}: not a folder (--images takes a folder of class folders, torchvision's ImageFolder layout)`, { source: dir });
  if (options.labelled === false) {
    const samples = (await walkImages(dir, '', new Set())).map((s) => ({ ...s, label: -1 }));
    if (samples.length === 0) throw ioError('NO_DATA', `${dir}: no images (extensions ${IMAGE_EXTENSIONS.join(' ')})`, { source: dir });
    return { root: dir, classes: [], samples, labels: new Int32Array(samples.length).fill(-1), emptyClasses: [] };
  }
  const entries = await readdir(dir, { withFileTypes: true });
  const folders: string[] = [];
  for (const e of entries) {
    if (hidden(e.name)) continue;
    if (e.isDirectory() || (e.isSymbolicLink() && (await isDirectory(join(dir, e.name))))) folders.push(e.name);
  }
  folders.sort(compareCodePoints);
  const looseImages = entries.filter((e) => e.isFile() && isImageName(e.name)).length;
  if (folders.length === 0) {
    const loose = looseImages > 0 ? ` (it holds ${looseImages} image${looseImages > 1 ? 's' : ''} directly: move them into one folder per class)` : '';
    throw ioError('NO_DATA', `${dir}: no class folders; expected ${dir}/<class>/<image>, torchvision's ImageFolder layout${loose}`, { source: dir });
  }
  let classes = folders;
  if (options.classesFile !== undefined) classes = await readClassesFile(options.classesFile, folders, dir);
  const present = new Set(folders);
  const samples: ImageSample[] = [];
  const empty: number[] = [];
  const seen = new Set<string>([await realpath(dir)]);
  // torchvision's make_dataset: classes in name order (whatever their labels), each labelled from the map.
  const labelOf = new Map(classes.map((c, i) => [c, i]));
  for (const cls of [...classes].sort(compareCodePoints)) {
    const label = labelOf.get(cls)!;
    const found = present.has(cls) ? await walkImages(join(dir, cls), cls, seen) : [];
    if (found.length === 0) empty.push(label);
    for (const f of found) samples.push({ ...f, label });
  }
  empty.sort((a, b) => a - b);
  if (empty.length > 0 && options.emptyClasses !== 'exclude') {
    const names = empty.map((k) => `'${classes[k]}' (label ${k}${present.has(classes[k]) ? '' : ', no folder'})`);
    throw ioError('EMPTY_CLASS', `${dir}: class${empty.length > 1 ? 'es' : ''} ${names.join(', ')} ha${empty.length > 1 ? 've' : 's'} no images (extensions ${IMAGE_EXTENSIONS.join(' ')}); pass --empty-classes exclude to measure the others`, { source: dir });
  }
  if (samples.length === 0) throw ioError('NO_DATA', `${dir}: no images in its class folders (extensions ${IMAGE_EXTENSIONS.join(' ')})`, { source: dir });
  return { root: dir, classes, samples, labels: Int32Array.from(samples, (s) => s.label), emptyClasses: empty };
}

/** Reads a classes file: one name per line, each folder listed exactly once. */
async function readClassesFile(path: string, folders: string[], dir: string): Promise<string[]> {
  const names = await readClassNames(path);
  const where = new Set(names);
  const missing = folders.filter((f) => !where.has(f));
  if (missing.length > 0) {
    throw ioError('BAD_LABEL', `${path}: does not list the class folder${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).map((m) => `'${m}'`).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} of ${dir}`, { source: path });
  }
  return names;
}

/**
 * Reads class names, one per line in label order (blank lines and surrounding spaces ignored); a name listed twice
 * or an empty list is refused, naming the file and the lines.
 */
export async function readClassNames(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw ioError('BAD_FILE', `${path}: cannot read the classes file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { source: path });
  }
  const names = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const where = new Map<string, number>();
  names.forEach((n, i) => {
    if (where.has(n)) throw ioError('BAD_OPTION', `${path}: class '${n}' is listed twice (lines ${where.get(n)! + 1} and ${i + 1})`, { source: path, row: i });
    where.set(n, i);
  });
  if (names.length === 0) throw ioError('BAD_OPTION', `${path}: lists no classes`, { source: path });
  return names;
}
