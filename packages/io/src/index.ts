/**
 * @ncscope/io — files for ncscope on Node. The image-folder and table readers live at the subpaths
 * `@ncscope/io/images` and `@ncscope/io/tables`, so that importing this entry loads neither them nor their libraries.
 */
export {};
