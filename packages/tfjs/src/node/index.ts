/**
 * @ncscope/tfjs/node — the Node-only parts of @ncscope/tfjs (they write files): the TensorBoard callback
 * `tensorBoardLogger` and the event-file writer behind it. The package's main entry stays browser-safe.
 */
export { TensorBoardLogger, tensorBoardLogger, type TensorBoardLoggerOptions } from './tensorboard-logger.js';
export { TensorBoardEventFile, checkEventFolder, makeEventFolder, type EventFileOptions } from './event-file.js';
