// Minimal types for the parts of convnetjs@0.3.0 (CommonJS, no bundled types) that convnetjs.ts uses.
declare module 'convnetjs' {
  /** A 3-D volume; element (x, y, d) is w[((sx * y) + x) * depth + d]. Float64Array storage. */
  export class Vol {
    constructor(sx: number, sy: number, depth: number, c?: number);
    sx: number;
    sy: number;
    depth: number;
    w: Float64Array;
    dw: Float64Array;
  }
  export interface LayerDef {
    type: string;
    [option: string]: unknown;
  }
  export interface Layer {
    layer_type: string;
    out_sx: number;
    out_sy: number;
    out_depth: number;
    /** conv: one Vol(sx, sy, in_depth) per filter; fc: one Vol(1, 1, num_inputs) per neuron. */
    filters?: Vol[];
    biases?: Vol;
    sx?: number;
    sy?: number;
    stride?: number;
    pad?: number;
    in_depth?: number;
  }
  export class Net {
    layers: Layer[];
    makeLayers(defs: LayerDef[]): void;
    forward(v: Vol, isTraining?: boolean): Vol;
    getPrediction(): number;
  }
  export interface TrainerOptions {
    method?: 'sgd' | 'adagrad' | 'adadelta' | 'windowgrad';
    learning_rate?: number;
    momentum?: number;
    batch_size?: number;
    l1_decay?: number;
    l2_decay?: number;
  }
  export interface TrainResult {
    fwd_time: number;
    bwd_time: number;
    cost_loss: number;
    loss: number;
  }
  export class Trainer {
    constructor(net: Net, options?: TrainerOptions);
    train(x: Vol, y: number): TrainResult;
  }
  const convnetjs: { Vol: typeof Vol; Net: typeof Net; Trainer: typeof Trainer; SGDTrainer: typeof Trainer; REVISION: string };
  export default convnetjs;
}
