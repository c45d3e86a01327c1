/**
 * @ncscope/io — files for ncscope on Node: bounded reads of regular files, crash-safe output writing, and readers of
 * labelled feature sets (.npy, .npz, .safetensors) that stream rows into core's two-pass driver.
 *
 * Heavy optional libraries (fflate for deflated .npz members) load on first use, so importing this package costs
 * a command's start-up nothing beyond its own modules. The image-folder and table readers live at the subpaths
 * `@ncscope/io/images` and `@ncscope/io/tables`, so that importing this entry loads neither them nor their libraries.
 */
export { describeNonRegularFile, FileReadError, OPEN_READ_NONBLOCKING, readRegularFileSync } from './file/read-file.js';
export { FileStore, WindowStore, describeFsError, type ByteStore } from './file/byte-store.js';
export { checkOutputPaths, writeFileAtomic, writeFilesAtomic, type NamedPath } from './write/atomic-write.js';
export { Tensor, TYPE_NAMES, type DecodedArray, type ElementType, type TensorLayout } from './arrays/tensor.js';
export { isNpy, openNpy } from './arrays/npy.js';
export { isZip, npzKeys, openNpzMember, openZipMember, readZipDirectory, type ZipEntry } from './arrays/npz.js';
export { openSafetensor, readSafetensorsHeader, type SafetensorsEntry } from './arrays/safetensors.js';
export { DEFAULT_KEYS, chooseKey, openInput, type InputRole, type OpenedInput } from './arrays/open.js';
export { checkLabelShape, countLabelTensor } from './inputs/labels.js';
export { batchSource, openArrayInputs, readClassifier, toFloat, type ArrayInputPaths, type ArrayInputs, type RowRange } from './inputs/array-inputs.js';
export { SAMPLE_BLOCKS, SAMPLE_BLOCK_BYTES, WHOLE_HASH_BYTES, inputFingerprint } from './inputs/fingerprint.js';
