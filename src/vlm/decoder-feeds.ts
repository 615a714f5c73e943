// What a merged decoder export takes and gives, read from its session (`inputNames`,
// `outputNames`) as transformers.js does (packages/transformers/src/models: decoder_forward feeds
// `use_cache_branch` only where the session lists it, `position_ids` only where listed, and
// `num_logits_to_keep`, 1 during generation; then picks the feeds the session declares). The
// exports differ: optimum's merged decoders add `use_cache_branch`, newer ones
// `num_logits_to_keep`, some compute positions from the attention mask. Inputs and outputs are
// matched by name, never by order; what an export lacks is named in the error.

import type { VlmManifest } from '../models/manifest.ts';
import { modelError } from '../models/errors.ts';
import type { Ort, OrtSession, OrtTensor } from '../models/ort.ts';
import { cacheNames } from './decoder.ts';

/** The optional inputs a decoder export has. */
export interface DecoderContract {
  readonly positionIds: boolean;
  readonly useCacheBranch: boolean;
  /** With it, the decoder is asked for the last position's logits only (one row). */
  readonly logitsToKeep: boolean;
}

const OPTIONAL = ['position_ids', 'use_cache_branch', 'num_logits_to_keep'] as const;

/** The contract of `session` for `layout`; throws `bad-model` naming what it lacks or what we cannot feed. */
export function decoderContract(
  session: Pick<OrtSession, 'inputNames' | 'outputNames'>,
  layout: VlmManifest['decoder'],
  file = 'the decoder',
): DecoderContract {
  const names = cacheNames(layout);
  const inputs = new Set(session.inputNames);
  const outputs = new Set(session.outputNames);
  const needIn = ['inputs_embeds', 'attention_mask', ...names.past].filter((n) => !inputs.has(n));
  const needOut = ['logits', ...names.present].filter((n) => !outputs.has(n));
  const known = new Set<string>(['inputs_embeds', 'attention_mask', ...names.past, ...OPTIONAL]);
  const unknown = session.inputNames.filter((n) => !known.has(n));
  const problems = [
    needIn.length && `no input ${list(needIn)}`,
    needOut.length && `no output ${list(needOut)}`,
    unknown.length && `an input kvtp-web cannot feed: ${list(unknown)}`,
  ].filter(Boolean);
  if (problems.length) {
    throw modelError(
      'bad-model',
      `${file} has ${problems.join('; ')} (expected a merged decoder with ${layout.layers} layers' KV cache)`,
    );
  }
  return {
    positionIds: inputs.has('position_ids'),
    useCacheBranch: inputs.has('use_cache_branch'),
    logitsToKeep: inputs.has('num_logits_to_keep'),
  };
}

/** Up to four names, then how many more. */
function list(names: readonly string[]): string {
  const shown = names.slice(0, 4).map((n) => `"${n}"`);
  return names.length > 4 ? `${shown.join(', ')} and ${names.length - 4} more` : shown.join(', ');
}

/**
 * The optional feeds for a run of `rows` new positions after `past` cached ones: positions
 * past…past+rows−1, the cache branch when there is a past, and the last position's logits only.
 */
export function optionalFeeds(
  ort: Ort,
  c: DecoderContract,
  past: number,
  rows: number,
): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = {};
  if (c.positionIds) {
    const ids = BigInt64Array.from({ length: rows }, (_, i) => BigInt(past + i));
    feeds.position_ids = new ort.Tensor('int64', ids, [1, rows]);
  }
  if (c.useCacheBranch) {
    feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(past > 0 ? 1 : 0), [1]);
  }
  if (c.logitsToKeep) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
  return feeds;
}
