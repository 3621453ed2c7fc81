// seedrandom's own generator (ARC4, the one createRng uses) without the package's index, which
// also loads six other generators that miniconv never calls: 5.6 kB of every bundle. Same function,
// same numbers. The types are the package's.
declare module 'seedrandom/seedrandom.js' {
  import seedrandom from 'seedrandom';
  export default seedrandom;
}
