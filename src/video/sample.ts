// Frame sampling: placeholder until the video path lands (issue 2).
import type { SampledVideo, SampleVideoOptions } from './index.ts';
import { CodedError } from '../worker/errors.ts';

export async function sampleVideo(
  _file: Blob,
  _name: string,
  _options: SampleVideoOptions,
): Promise<SampledVideo> {
  throw new CodedError('not-implemented', 'Video sampling is not built yet.');
}
