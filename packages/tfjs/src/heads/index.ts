export { growHead, leastSquaresHead, type GrowHeadOptions, type HeadData, type LeastSquaresHeadOptions } from './grow-head.js';
