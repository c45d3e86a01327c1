import { NcInputError, type NcErrorCode, type NcErrorLocation } from '@ncscope/core';

/** The location fields of an io error. */
export type IoErrorWhere = NcErrorLocation;

/**
 * The error for an optional library that is not installed: sharp, hyparquet (+ hyparquet-compressors) and
 * apache-arrow are optional peers of @ncscope/io (the ncscope CLI depends on them), so a program that reads no image
 * or table never downloads them.
 */
export function missingLibrary(name: string, purpose: string, cause: unknown): Error {
  const code = (cause as { code?: string }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return cause as Error;
  return new Error(`@ncscope/io needs the package '${name}' to ${purpose}: npm install ${name}`);
}

/** A named input error of the image and table readers (core's NcInputError with the reader's code). */
export function ioError(code: NcErrorCode, message: string, where: IoErrorWhere = {}): NcInputError {
  return new NcInputError(code, message, where);
}
