// The WebCodecs decoder configuration for a demuxed track, and whether this browser can decode
// it (VideoDecoder.isConfigSupported), answered before any decoding starts.

import type { DemuxedVideo } from './demux.ts';
import { videoErrors } from './errors.ts';

export function decoderConfig(video: DemuxedVideo): VideoDecoderConfig {
  if (video.config) return video.config;
  return {
    codec: video.codec,
    codedWidth: video.width,
    codedHeight: video.height,
    ...(video.description ? { description: video.description } : {}),
  };
}

/** Throw `unsupported-codec` unless this browser can decode `config`. */
export async function ensureDecodable(config: VideoDecoderConfig, name: string): Promise<void> {
  if (typeof VideoDecoder === 'undefined') {
    throw videoErrors.unsupportedCodec(name, config.codec, 'this browser has no WebCodecs decoder');
  }
  let supported: boolean;
  try {
    supported = (await VideoDecoder.isConfigSupported(config)).supported === true;
  } catch {
    supported = false; // a codec string the browser does not even parse
  }
  if (!supported) throw videoErrors.unsupportedCodec(name, config.codec);
}
