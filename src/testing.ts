// The package entry `miniconv/testing`: the seeded float64 inputs the gradient checks use, for a
// user who checks a layer of their own the way test/gradcheck.test.ts does (gradCheck itself, and
// relError, are in the main entry).
//   randn         normal values: the general case
//   awayFromZero  values at least 0.1 from zero, so that no ReLU kink sits inside a finite difference
//   distinct      all different, evenly spaced, so that no max-pool window has a tie
export { randn, awayFromZero, distinct } from './gradcheck.ts';
