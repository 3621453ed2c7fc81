// Shared test inputs: seeded, and kept away from ReLU kinks and max-pool ties (exported by src/gradcheck.ts).
export { awayFromZero, distinct, randn } from '../src/gradcheck.ts';

export const shapeName = (s: readonly number[]) => `[${s.join(',')}]`;
