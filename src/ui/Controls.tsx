// The method's knobs: reduction method, allocation, keep ratio (5–100 %), temperature, frames,
// minimum tokens per frame, and the relevance head. Changing the first ones re-runs only the
// selection (no decoding, no encoding); a new frame count applies to the next video, or to the
// open one on "Sample N frames" (which decodes and encodes it again).
import type { ReductionMethod } from '../kvtp/types.ts';
import type { AllocationMode, ScoreHead } from '../engine/types.ts';

export interface ControlValues {
  readonly method: ReductionMethod;
  readonly allocation: AllocationMode;
  readonly keepRatio: number;
  readonly temperature: number;
  readonly frames: number;
  readonly minPerFrame: number;
  readonly head: ScoreHead;
}

const methods: [ReductionMethod, string][] = [
  ['none', 'None (keep all)'],
  ['random', 'Random'],
  ['tome', 'ToMe (merge)'],
  ['prumerge', 'PruMerge'],
];
const allocations: [AllocationMode, string][] = [
  ['exact', 'KVTP (exact budget)'],
  ['paper', 'KVTP (paper formula)'],
  ['uniform', 'Uniform'],
  ['hard', 'Hard keyframes'],
];

export function Controls({
  values,
  onChange,
  learnedHead,
  sampledFrames = null,
  onResample,
}: {
  values: ControlValues;
  onChange: (patch: Partial<ControlValues>) => void;
  /** Whether the relevance package has a learned predictor head. */
  learnedHead: boolean;
  /** Frames sampled from the open video (null: none open, or still sampling). */
  sampledFrames?: number | null;
  /** Sample the open video again with `values.frames` frames. */
  onResample?: () => void;
}) {
  const resample = sampledFrames !== null && sampledFrames !== values.frames && onResample;
  const pruning = values.method !== 'none';
  return (
    <fieldset className="controls">
      <legend>Token pruning</legend>
      <label>
        Reduction
        <select
          value={values.method}
          onChange={(e) => onChange({ method: e.currentTarget.value as ReductionMethod })}
        >
          {methods.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Allocation
        <select
          value={values.allocation}
          disabled={!pruning}
          onChange={(e) => onChange({ allocation: e.currentTarget.value as AllocationMode })}
        >
          {allocations.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label className="wide">
        Keep ratio <output>{Math.round(values.keepRatio * 100)}%</output>
        <input
          type="range"
          min={5}
          max={100}
          step={1}
          disabled={!pruning}
          value={Math.round(values.keepRatio * 100)}
          aria-label="Keep ratio"
          aria-valuetext={`${Math.round(values.keepRatio * 100)} percent of vision tokens`}
          onChange={(e) => onChange({ keepRatio: Number(e.currentTarget.value) / 100 })}
        />
      </label>
      <label>
        Temperature
        <input
          type="number"
          min={0.1}
          max={20}
          step={0.1}
          disabled={!pruning}
          value={values.temperature}
          onChange={(e) => {
            const v = Number(e.currentTarget.value);
            if (v > 0) onChange({ temperature: v });
          }}
        />
      </label>
      <label>
        Min tokens / frame
        <input
          type="number"
          min={0}
          max={1024}
          step={1}
          disabled={!pruning}
          value={values.minPerFrame}
          onChange={(e) => {
            const v = Math.round(Number(e.currentTarget.value));
            if (v >= 0) onChange({ minPerFrame: v });
          }}
        />
      </label>
      <label>
        Relevance
        <select
          value={values.head}
          disabled={!learnedHead}
          onChange={(e) => onChange({ head: e.currentTarget.value as ScoreHead })}
        >
          <option value="logit">SigLIP logit</option>
          <option value="learned">Learned predictor</option>
        </select>
      </label>
      <label>
        Frames
        <input
          type="number"
          min={1}
          max={256}
          step={1}
          value={values.frames}
          title="Frames sampled from the video"
          onChange={(e) => {
            const v = Math.round(Number(e.currentTarget.value));
            if (v >= 1 && v <= 256) onChange({ frames: v });
          }}
        />
      </label>
      {resample && (
        <button type="button" className="button subtle" onClick={resample}>
          Sample {values.frames} frames
        </button>
      )}
    </fieldset>
  );
}
