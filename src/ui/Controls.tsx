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

const heads: [ScoreHead, string][] = [
  ['logit', 'SigLIP logit'],
  ['learned', 'Learned predictor'],
];

/** A labelled select over `options` ([value, label] pairs). */
function Choice<T extends string>({
  label,
  value,
  options,
  disabled = false,
  onChange,
}: {
  label: string;
  value: T;
  options: readonly (readonly [T, string])[];
  disabled?: boolean;
  onChange: (value: T) => void;
}) {
  return (
    <label>
      {label}
      <select
        value={value}
        disabled={disabled}
        onChange={(e) => onChange(e.currentTarget.value as T)}
      >
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

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
      <Choice
        label="Reduction"
        value={values.method}
        options={methods}
        onChange={(method) => onChange({ method })}
      />
      <Choice
        label="Allocation"
        value={values.allocation}
        options={allocations}
        disabled={!pruning}
        onChange={(allocation) => onChange({ allocation })}
      />
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
      <Choice
        label="Relevance"
        value={values.head}
        options={heads}
        disabled={!learnedHead}
        onChange={(head) => onChange({ head })}
      />
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
