export * from './images/index.js';
export * from './tables/index.js';
