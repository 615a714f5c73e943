// Demux an MP4 or MOV file by byte ranges (WebM and Matroska go to matroska.ts): walk the top-level boxes with small reads, hand mp4box
// the boxes that describe the movie (ftyp, moov, each moof) at their real file offsets, with the
// other tracks' parts blanked out, and skip media data (mdat) entirely: mp4box sees only a
// stand-in header for it. The result is the video
// track's facts and its sample table. Never reads media data, never decodes.

import { createFile, MP4BoxBuffer, type ISOFile, type Track, type VisualSampleEntry } from 'mp4box';
import type { ByteSource } from './byte-source.ts';
import {
  hideOtherFragments,
  hideOtherTracks,
  isFirstBox,
  MAX_HEADER,
  parseBoxHeader,
  skippedBoxHeader,
} from './boxes.ts';
import { sniffFormat, videoErrors } from './errors.ts';
import { demuxMatroska, isEbml } from './matroska.ts';
import type { DecodeRange } from './plan.ts';
import type { SampleBytes } from './sample-bytes.ts';
import { buildSampleTable, type SampleTable } from './sample-table.ts';
import type { Rotation, VideoInfo } from './types.ts';

export interface DemuxedVideo {
  readonly container: VideoInfo['container'];
  /** WebCodecs codec string, e.g. `avc1.64001f`. */
  readonly codec: string;
  /** Stored picture size (the sample entry's), before rotation. */
  readonly width: number;
  readonly height: number;
  readonly rotation: Rotation;
  readonly fragmented: boolean;
  readonly table: SampleTable;
  /** The decoder configuration record (avcC, hvcC or av1C payload), when the codec has one. */
  readonly description: Uint8Array | null;
  /** The whole decoder configuration, when the demuxer makes it (Matroska). */
  readonly config?: VideoDecoderConfig;
  /**
   * The planned samples' bytes in decode order, when they are not read by the table's offsets
   * (Matroska: through its demuxer). Without it, sample-bytes.ts reads them by offset and size.
   */
  readonly samples?: (ranges: readonly DecodeRange[]) => AsyncIterable<SampleBytes>;
  /**
   * How a Matroska file's frames were listed: from its cluster and block headers (the table's
   * offsets are the frames' bytes), or through mediabunny's packets, and why (matroska.ts).
   */
  readonly indexedBy?:
    { readonly kind: 'block-headers' } | { readonly kind: 'mediabunny'; readonly reason: string };
  /** Release what the demuxer holds (called once, when sampling ends). */
  readonly close?: () => void;
}

/** Bytes read at a box boundary: a header, and often a whole small box (a moof) with it. */
const PEEK = 4096;
/** Boxes other than mdat up to this size are read and given to mp4box whole, whatever their type. */
const SMALL_BOX = 64 * 1024;
/**
 * A moov or moof larger than this is not a real one (a 10-hour 60 fps film's moov is ~50 MB): a
 * damaged size field must not make us read, copy and parse hundreds of MB at once.
 */
export const MAX_INDEX_BOX = 256 * 2 ** 20;
/** ftyp brands of still images (HEIF, AVIF) that share the MP4 box structure. */
const IMAGE_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'mif1', 'msf1', 'avif', 'avis']);
/** Boxes that describe the movie: always read whole. */
const INDEX_BOXES = new Set(['ftyp', 'moov', 'moof']);

export async function demux(
  source: ByteSource,
  onProgress?: (done: number, total: number) => void,
): Promise<DemuxedVideo> {
  const { name, size } = source;
  if (size === 0) throw videoErrors.empty(name);
  const file = createFile(); // keeps no media data
  let videoTracks = new Set<number>();
  const feed = (bytes: Uint8Array, at: number, type: string) => {
    const copy = bytes.slice();
    // Other tracks' boxes become 'free': mp4box then keeps no sample lists for them.
    if (type === 'moov') videoTracks = hideOtherTracks(copy);
    if (type === 'moof') hideOtherFragments(copy, videoTracks);
    file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(copy.buffer, at));
  };
  let window = { start: 0, bytes: new Uint8Array(0) };
  /** `length` bytes at `at` (fewer at the end of the file), read with some bytes after them. */
  const bytesAt = async (at: number, length: number) => {
    const from = at - window.start;
    if (from < 0 || from + length > window.bytes.length) {
      window = { start: at, bytes: await source.read(at, Math.max(PEEK, length + MAX_HEADER)) };
      return window.bytes.subarray(0, length);
    }
    return window.bytes.subarray(from, from + length);
  };

  let moov: { start: number; bytes: Uint8Array } | null = null;
  let fragmented = false;
  let sawMediaData = false;
  let pos = 0;
  try {
    while (pos < size) {
      const head = await bytesAt(pos, Math.min(MAX_HEADER, size - pos));
      // WebM and Matroska: another demuxer, on the same byte source.
      if (pos === 0 && isEbml(head)) return await demuxMatroska(source, onProgress);
      const box = parseBoxHeader(head, 0, pos, size);
      if (pos === 0 && (typeof box === 'string' || !isFirstBox(box.type))) {
        throw videoErrors.unsupportedContainer(
          name,
          sniffFormat(await bytesAt(0, Math.min(size, 512))),
        );
      }
      if (typeof box === 'string') {
        if (moov) break; // bytes after a complete movie: ignored
        throw videoErrors.corrupt(name, `there is unreadable data at byte ${pos}`);
      }
      if (pos + box.size > size) {
        if (moov && !fragmented) break; // the sample table will tell what is missing
        throw videoErrors.corrupt(
          name,
          `it ends in the middle of its '${box.type}' box (the file is incomplete or truncated)`,
        );
      }
      if (INDEX_BOXES.has(box.type) || (box.type !== 'mdat' && box.size <= SMALL_BOX)) {
        if (box.size > MAX_INDEX_BOX) {
          throw videoErrors.corrupt(
            name,
            `its '${box.type}' box claims ${box.size} bytes, more than any real index holds`,
          );
        }
        const bytes = await bytesAt(pos, box.size);
        feed(bytes, pos, box.type);
        if (box.type === 'moov') {
          moov = { start: pos, bytes };
          fragmented = file.moov?.mvex !== undefined;
        }
      } else {
        feed(skippedBoxHeader(box.size), pos, 'mdat');
      }
      if (box.type === 'mdat') sawMediaData = true;
      pos += box.size;
      onProgress?.(pos, size);
      if (moov && !fragmented) break; // the moov alone describes every sample
    }
  } catch (e) {
    throw asVideoError(e, name);
  }
  onProgress?.(size, size);

  if (!file.moov || !moov) {
    const brand = file.ftyp?.major_brand ?? '';
    if (IMAGE_BRANDS.has(brand))
      throw videoErrors.unsupportedContainer(name, 'an HEIF or AVIF image');
    throw sawMediaData
      ? videoErrors.corrupt(
          name,
          'its index (the moov box) is missing, so the file is incomplete (a recording cut off?)',
        )
      : videoErrors.corrupt(name, 'it has no movie index (moov box)');
  }
  try {
    return describe(file, name, size, moov, fragmented);
  } catch (e) {
    throw asVideoError(e, name);
  }
}

/** Our own errors and aborts pass; anything mp4box throws means the file is damaged. */
function asVideoError(e: unknown, name: string): unknown {
  if ((e as { code?: unknown }).code !== undefined || (e as Error).name === 'AbortError') return e;
  return videoErrors.corrupt(name, 'its structure could not be parsed', e);
}

function describe(
  file: ISOFile,
  name: string,
  size: number,
  moov: { start: number; bytes: Uint8Array },
  fragmented: boolean,
): DemuxedVideo {
  const info = file.getInfo();
  const track = info.videoTracks.find((t) => t.video) ?? info.videoTracks[0];
  if (!track) {
    const kinds: Record<string, string> = {
      audio: 'an audio track',
      subtitles: 'a subtitle track',
      metadata: 'a metadata track',
    };
    const others = info.tracks.map((t) => kinds[t.type ?? ''] ?? 'a track of another kind');
    throw videoErrors.noVideoTrack(name, [...new Set(others)]);
  }
  const samples = file.getTrackSamplesInfo(track.id) ?? [];
  if (samples.length === 0) throw videoErrors.corrupt(name, 'its video track has no frames');
  let end = 0;
  for (const s of samples) end = Math.max(end, s.offset + s.size);
  if (end > size) {
    throw videoErrors.corrupt(
      name,
      `the file ends early: its frames need ${end} bytes but it has ${size} (truncated?)`,
    );
  }
  const table = buildSampleTable(
    samples,
    track.timescale,
    track.edits ?? [],
    track.movie_timescale,
  );
  const major = file.ftyp?.major_brand;
  return {
    container: major === undefined || major === 'qt  ' ? 'mov' : 'mp4',
    codec: track.codec,
    width: track.video?.width ?? track.track_width,
    height: track.video?.height ?? track.track_height,
    rotation: rotationOf(track),
    fragmented,
    table,
    description: configRecord(file, track, moov),
  };
}

/** Clockwise rotation from the track matrix (a b u / c d v / x y w), to the nearest 90°. */
export function rotationOf(track: Pick<Track, 'matrix'>): Rotation {
  const [a = 0x10000, b = 0] = Array.from(track.matrix);
  const degrees = Math.round((Math.atan2(b, a) * 180) / Math.PI / 90) * 90;
  return (((degrees % 360) + 360) % 360) as Rotation;
}

/** The avcC / hvcC / av1C payload of the track's sample entry, cut from the moov bytes. */
function configRecord(
  file: ISOFile,
  track: Track,
  moov: { start: number; bytes: Uint8Array },
): Uint8Array | null {
  const entry = file.getTrackById(track.id).mdia.minf.stbl.stsd.entries[0] as VisualSampleEntry;
  const box = entry.avcC ?? entry.hvcC ?? entry.av1C;
  if (!box || box.start === undefined || box.hdr_size === undefined) return null;
  const from = box.start - moov.start + box.hdr_size;
  const to = box.start - moov.start + box.size;
  if (from < 0 || to > moov.bytes.length || to <= from) return null;
  return moov.bytes.slice(from, to);
}
