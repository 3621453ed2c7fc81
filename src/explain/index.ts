// `miniconv explain` as a library: explainConv narrates one convolution (narrate.ts); explainRelu,
// explainPool, explainDense and explainSoftmax one layer each (layers.ts); explainChain a whole tiny
// network (chain.ts); explainWhyConv the seed's FAQ in numbers (why-conv.ts). Their options are checked
// in validate.ts; the command line is src/cli/explain.ts.
export { type Explanation, SEED_ARTICLE, SEED_INPUT, SEED_KERNEL, explainConv } from './narrate.ts';
export { type ExplainOptions, checkMatrix } from './validate.ts';
