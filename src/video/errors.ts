// The video path's errors, made here and nowhere else: each a CodedError with a code the page and
// the command line show, and a message a person can act on. This module only builds errors; it
// never throws or logs by itself.

import { CodedError } from '../core/errors.ts';

export type VideoErrorCode =
  | 'empty'
  | 'unreadable'
  | 'unsupported-container'
  | 'no-video-track'
  | 'unsupported-codec'
  | 'corrupt'
  | 'bad-request';

const ACCEPTED =
  'kvtp-web reads MP4, MOV, WebM and Matroska (MKV) videos (H.264, VP8, VP9 or AV1; HEVC where the browser decodes it)';

/** What a file looks like from its first bytes, for messages about files we cannot read. */
export function sniffFormat(head: Uint8Array): string | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x1a, 0x45, 0xdf, 0xa3)) return 'a WebM or Matroska (MKV) video';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'AVI ') return 'an AVI video';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'a WAV audio file';
  if (ascii(0, 3) === 'FLV') return 'a Flash (FLV) video';
  if (ascii(0, 4) === 'OggS') return 'an Ogg file';
  if (starts(0x00, 0x00, 0x01, 0xba)) return 'an MPEG program stream';
  if (head[0] === 0x47 && head.length > 188 && head[188] === 0x47)
    return 'an MPEG transport stream';
  if (ascii(0, 3) === 'ID3' || starts(0xff, 0xfb)) return 'an MP3 audio file';
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'a PNG image';
  if (starts(0xff, 0xd8, 0xff)) return 'a JPEG image';
  if (ascii(0, 4) === 'GIF8') return 'a GIF image';
  if (ascii(0, 5) === '%PDF-') return 'a PDF document';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'a ZIP archive';
  if (head.length > 0 && head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127)))
    return 'a text file';
  return null;
}

/** A codec string's everyday name. */
export function codecName(codec: string): string {
  const fourcc = codec.slice(0, 4);
  const names: Record<string, string> = {
    avc1: 'H.264',
    avc3: 'H.264',
    hvc1: 'HEVC (H.265)',
    hev1: 'HEVC (H.265)',
    vp09: 'VP9',
    vp08: 'VP8',
    vp8: 'VP8',
    av01: 'AV1',
    mp4v: 'MPEG-4 Part 2',
    jpeg: 'Motion JPEG',
    mjpa: 'Motion JPEG',
    apcn: 'Apple ProRes',
    apch: 'Apple ProRes',
    apcs: 'Apple ProRes',
    apco: 'Apple ProRes',
    ap4h: 'Apple ProRes',
    dvh1: 'Dolby Vision',
    dvhe: 'Dolby Vision',
  };
  return names[fourcc] ?? `'${codec}'`;
}

export const videoErrors = {
  empty: (name: string) =>
    new CodedError('empty', `"${name}" is empty (0 bytes): there is no video in it.`),

  unreadable: (name: string, cause: unknown) =>
    new CodedError(
      'unreadable',
      `"${name}" could not be read (was it moved, deleted or changed while open?).`,
      { cause },
    ),

  unsupportedContainer: (name: string, looksLike: string | null) =>
    new CodedError(
      'unsupported-container',
      `"${name}" is not a video kvtp-web reads` +
        (looksLike ? ` (it looks like ${looksLike}). ` : '. ') +
        `${ACCEPTED}.`,
    ),

  noVideoTrack: (name: string, otherTracks: readonly string[]) =>
    new CodedError(
      'no-video-track',
      `"${name}" has no video track` +
        (otherTracks.length ? ` (only ${otherTracks.join(', ')})` : '') +
        ': there are no frames to look at.',
    ),

  unsupportedCodec: (name: string, codec: string, why = 'this browser cannot decode it') =>
    new CodedError(
      'unsupported-codec',
      `"${name}" is ${codecName(codec)} video (${codec}), and ${why}. ` +
        `Re-encode it to H.264, VP9 or AV1, e.g. \`ffmpeg -i in.mkv -c:v libx264 out.mp4\`.`,
    ),

  corrupt: (name: string, what: string, cause?: unknown) =>
    new CodedError('corrupt', `"${name}" looks damaged: ${what}.`, { cause }),

  badFrameCount: (frames: number, min: number, max: number) =>
    new CodedError(
      'bad-request',
      `The number of frames to sample must be an integer from ${min} to ${max} (got ${frames}).`,
    ),
};
