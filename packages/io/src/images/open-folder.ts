import { listImageFolder, type ImageFolder, type ImageFolderOptions } from './folder.js';
import { openImageInput, type ImageInput, type ImageInputOptions } from './input.js';
import type { ImageTransform } from './transform.js';

/** An image folder opened as model input: the rows, their labels and the class names. */
export interface ImageFolderInput extends ImageInput {
  readonly folder: ImageFolder;
  /** One label per row (−1 for unlabelled folders). */
  readonly labels: Int32Array;
  /** Class names; label i is classes[i]. */
  readonly classes: string[];
}

/**
 * Opens an image folder (torchvision's ImageFolder layout, see {@link listImageFolder}) as model input rows decoded
 * in worker threads with `transform` (torchvision's Resize → CenterCrop → Grayscale → ToTensor → Normalize).
 *
 * ```ts
 * const images = await openImageFolder('val/', { resize: 256, centerCrop: [224, 224], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
 * const x = await images.read(0, 32); // 32 × 3 × 224 × 224 float32
 * await images.close();
 * ```
 */
export async function openImageFolder(dir: string, transform: ImageTransform = {}, options: ImageFolderOptions & ImageInputOptions = {}): Promise<ImageFolderInput> {
  const folder = await listImageFolder(dir, options);
  const samples = folder.samples;
  const input = await openImageInput(
    { count: samples.length, jobs: (start, count) => samples.slice(start, start + count).map((s) => ({ name: s.path, path: s.path })) },
    transform,
    { ...options, source: options.source ?? dir },
  );
  return Object.assign(input, { folder, labels: folder.labels, classes: folder.classes });
}
