import { NcInputError } from '@ncscope/core';

/** The location fields of an io error. */
export type IoErrorWhere = ConstructorParameters<typeof NcInputError>[2];

/** A named input error of the image and table readers (core's NcInputError with the reader's code). */
export function ioError(code: string, message: string, where: IoErrorWhere = {}): NcInputError {
  return new NcInputError(code as ConstructorParameters<typeof NcInputError>[0], message, where);
}
