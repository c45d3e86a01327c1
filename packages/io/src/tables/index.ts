export { openTableFile, type ColumnKind, type ColumnValues, type TableColumn, type TableFile } from './table-file.js';
export { readClassNames } from '../images/folder.js';
export { openTable, type TableBatch, type TableColumns, type TableSource } from './table-source.js';
