// Looking inside a network: kernels and feature maps as PNG images or terminal text.
export { type RGB, DIVERGING_CENTER, DIVERGING_NEGATIVE, DIVERGING_POSITIVE, divergingColor, greyColor, maxAbsOf, rangeOf } from './colormap.ts';
export { type KernelPngOptions, type KernelGridOptions, type KernelCell, type KernelFigurePlan, renderKernelsPng, renderKernelGridPng, planKernelFigure, renderColorKernelsPng, planColorKernelFigure } from './kernels.ts';
export {
  type FeatureMap, type FeatureMapPngOptions, type FeatureColormap,
  featureMaps, renderFeatureMapsPng, renderFeatureMapStackPng, renderModelFeatureMapsPng, planFeatureMapFigure, planFeatureBlock,
} from './feature-maps.ts';
export { type AnsiColorMode, type KernelsAnsiOptions, detectColorMode, kernelsToAnsi, weightsToAnsi } from './terminal.ts';
export { type ReportOptions, type ReportDigit, type Report, type WrongDigit, type ConfusionResult, buildReport } from './report.ts';
export { confidentMistakes, fileSafe } from './report-numbers.ts';
export { greyImagePng } from './report-png.ts';
export { type ChartSeries, type LineChartOptions, lineChartSvg, niceTicks, escapeHtml } from './svg.ts';
export { type InspectOptions, inspectModelFile, defaultOutDir, checkDigitIndex } from './inspect-model.ts';
