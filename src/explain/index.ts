// `miniconv explain` as a library: explainConv narrates one convolution (narrate.ts, its dx in narrate-dx.ts); explainRelu,
// explainPool, explainDense and explainSoftmax one layer each (layers.ts); explainChain a whole tiny
// network (chain.ts); explainWhyConv the seed's FAQ in numbers (why-conv.ts); explainWinograd the Winograd
// convolution in numbers (winograd.ts). Their options are checked
// in validate.ts; the command line is src/cli/explain.ts.
export { type Explanation, SEED_ARTICLE, SEED_INPUT, SEED_KERNEL, explainConv } from './narrate.ts';
export { type ExplainOptions, checkMatrix } from './validate.ts';
export {
  type DenseExplanation, type DenseExplainOptions, type LayerExplanation, type PoolExplainOptions, type ReluExplainOptions, type SoftmaxExplainOptions,
  type SoftmaxExplanation, explainDense, explainPool, explainRelu, explainSoftmax,
} from './layers.ts';
export { CHAIN_CLASSES, CHAIN_INPUT, CHAIN_SEED, type ChainExplanation, type ChainOptions, chainWeights, explainChain } from './chain.ts';
export { type WhyConvExplanation, type WhyConvOptions, compareSizes, explainWhyConv } from './why-conv.ts';
export { DENSE_AS_CONV_BIAS, DENSE_AS_CONV_WEIGHT, type DenseAsConvExplanation, type DenseAsConvOptions, explainDenseAsConv } from './dense-as-conv.ts';
export { MEASURED as WINOGRAD_MEASURED, type WinogradExplainOptions, type WinogradExplanation, explainWinograd } from './winograd.ts';
