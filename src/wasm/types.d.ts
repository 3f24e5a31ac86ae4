export interface TrainerConfig {
  model?: 'mlp-plain' | 'mlp' | 'cnn' | 'keras-cnn' | 'cnn-large' | 'custom';
  spec?: ModelSpec | null;
  optimizer?: 'adam' | 'adamw' | 'sgd' | 'adadelta';
  learningRate?: number;
  batchSize?: number;
  epochs?: number;
  seed?: number;
  weightDecay?: number;
  momentum?: number;
  validationSize?: number;
  maxBatchSize?: number;
  lrDecay?: number;
  augment?: boolean;
}
export type Activation = 'relu' | 'none';
export type Layer =
  | { type: 'conv'; filters: number; kernel?: 3 | 5; padding?: 'valid' | 'same'; activation?: Activation }
  | { type: 'maxpool' }
  | { type: 'dense'; units: number; activation?: Activation }
  | { type: 'dropout'; rate: number }
  | { type: 'batchnorm'; activation?: Activation };
export interface ModelSpec { layers: Layer[]; }
export interface LayerSummary {
  name: string; kind: string; output: number[]; params: number; fixed: number; tensors: [string, number[]][];
}
export interface NetworkSummary { spec: ModelSpec; layers: LayerSummary[]; params: number; fixed: number; }
export interface LayerView { name: string; kind: string; shape: number[]; values: Float32Array; }
export interface Inspection { layers: LayerView[]; filters: LayerView | null; }
export interface FineTuneConfig {
  steps?: number; learningRate?: number; batchSize?: number; ownShare?: number; headOnly?: boolean; seed?: number;
}
export type Verdict =
  | { kind: 'digit'; digit: number; probability: number }
  | { kind: 'unsure'; first: number; firstProbability: number; second: number; secondProbability: number }
  | { kind: 'scribble' };
export interface Defaults { trainer: Required<TrainerConfig>; fineTune: Required<FineTuneConfig>; learningRates: Record<'adam' | 'adamw' | 'sgd' | 'adadelta', number>; }
export interface Limits {
  maxEpochs: number; maxBatchSize: number; minLearningRate: number; maxLearningRate: number; maxFineTuneSteps: number;
  maxWeightsBytes: number; maxCanvasSide: number;
}
export interface StepResult { loss: number; accuracy: number; }
export interface ShardGradients { loss: number; correct: number; count: number; values: Float32Array; }
export interface Evaluation {
  count: number; loss: number; accuracy: number;
  confusion: number[][]; precision: number[]; recall: number[]; f1: number[];
  macroF1: number; predictions: Uint8Array;
}
export interface IdxFile { kind: 'images' | 'labels'; count: number; rows: number; cols: number; data: Uint8Array; }
export interface BuildInfo { version: string; simd: boolean; threads: number; models: string[]; imagePixels: number; }
