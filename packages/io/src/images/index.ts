export { IMAGE_EXTENSIONS, compareCodePoints, isImageName, listImageFolder, readClassNames, type ImageFolder, type ImageFolderOptions, type ImageSample } from './folder.js';
export { decodeImage, imageSize, loadSharp, decodeSample, type DecodedSample, type ImageJob } from './decode.js';
export { decodeBmp, isBmp, BmpError } from './bmp.js';
export { resizePixels, type ResampleFilter } from './resample.js';
export { centerCropPixels, outputSize, resizedSize, resolveTransform, transformInto, type ImageTransform, type ResolvedTransform, type RgbImage } from './transform.js';
export { DecodePool, defaultDecodeWorkers } from './pool.js';
export { openImageInput, type ImageInput, type ImageInputOptions, type ImageJobSource } from './input.js';
export { openImageFolder, type ImageFolderInput } from './open-folder.js';
