// ISO BMFF (MP4/MOV) box headers, parsed from a few bytes: where each top-level box starts, how big
// it is, whether the bytes look like a box at all; and, inside a moov or moof, which boxes belong
// to tracks other than video. Pure functions; no reading, no mp4box.

/** A top-level box: its four-character type, file offset, total size and header size. */
export interface BoxHeader {
  readonly type: string;
  readonly start: number;
  /** Total size in bytes, header included (a size-0 box runs to the end of the file). */
  readonly size: number;
  readonly headerSize: number;
}

/** Boxes a QuickTime or ISO file may start with. */
const FIRST_BOXES = new Set([
  'ftyp',
  'moov',
  'mdat',
  'free',
  'skip',
  'wide',
  'pnot',
  'pdin',
  'styp',
  'sidx',
  'uuid',
  'junk',
]);

/** Bytes needed to parse any box header (32-bit size, type, 64-bit size). */
export const MAX_HEADER = 16;

/**
 * Parse the box header at `bytes[at]`, which sits at file offset `fileOffset` in a file of
 * `fileSize` bytes. Returns `'short'` when more bytes are needed, `'invalid'` when these bytes
 * cannot be a box header.
 */
export function parseBoxHeader(
  bytes: Uint8Array,
  at: number,
  fileOffset: number,
  fileSize: number,
): BoxHeader | 'short' | 'invalid' {
  const left = bytes.length - at;
  if (left < 8) return fileSize - fileOffset < 8 ? 'invalid' : 'short';
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, left);
  let size = view.getUint32(0);
  const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
  if (!/^[\x20-\x7e]{4}$/.test(type)) return 'invalid';
  let headerSize = 8;
  if (size === 1) {
    if (left < 16) return fileSize - fileOffset < 16 ? 'invalid' : 'short';
    size = view.getUint32(8) * 2 ** 32 + view.getUint32(12);
    headerSize = 16;
  } else if (size === 0) {
    size = fileSize - fileOffset;
  }
  if (size < headerSize) return 'invalid';
  return { type, start: fileOffset, size, headerSize };
}

/** Whether a file may start with a box of this type. */
export function isFirstBox(type: string): boolean {
  return FIRST_BOXES.has(type);
}

/**
 * A 16-byte header standing in for a box whose body we skip: declared as `mdat` with a 64-bit
 * size, so that mp4box skips the body (it never needs media data) and resumes parsing right
 * after the box.
 */
export function skippedBoxHeader(size: number): Uint8Array {
  const header = new Uint8Array(MAX_HEADER);
  const view = new DataView(header.buffer);
  view.setUint32(0, 1);
  header.set([0x6d, 0x64, 0x61, 0x74], 4); // 'mdat'
  view.setUint32(8, Math.floor(size / 2 ** 32));
  view.setUint32(12, size >>> 0);
  return header;
}

/** The child boxes of the box whose payload spans `bytes[from, to)`: [type, start, end] each. */
function* children(
  bytes: Uint8Array,
  from: number,
  to: number,
): Generator<[string, number, number]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = from;
  while (at + 8 <= to) {
    let size = view.getUint32(at);
    let header = 8;
    if (size === 1 && at + 16 <= to) {
      size = view.getUint32(at + 8) * 2 ** 32 + view.getUint32(at + 12);
      header = 16;
    } else if (size === 0) size = to - at;
    if (size < header || at + size > to) return;
    yield [String.fromCharCode(...bytes.subarray(at + 4, at + 8)), at, at + size];
    at += size;
  }
}

/** Size of the header of the box at `bytes[at]` (16 with a 64-bit size). */
const headerAt = (bytes: Uint8Array, at: number) =>
  new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0) === 1 ? 16 : 8;

const childOf = (bytes: Uint8Array, start: number, end: number, type: string) => {
  for (const c of children(bytes, start + headerAt(bytes, start), end)) if (c[0] === type) return c;
  return null;
};

function rename(bytes: Uint8Array, at: number, type: string): void {
  for (let i = 0; i < 4; i++) bytes[at + 4 + i] = type.charCodeAt(i);
}

/**
 * In a whole moov box's bytes (changed in place), turn every track that is not video into a
 * 'free' box of the same size, so that mp4box builds no sample lists for audio and other tracks
 * (on a 2-hour film, more samples than the video has). Leaves the bytes alone when no track is
 * video. Returns the video tracks' IDs.
 */
export function hideOtherTracks(moov: Uint8Array): Set<number> {
  const view = new DataView(moov.buffer, moov.byteOffset, moov.byteLength);
  const video = new Set<number>();
  const others: number[] = [];
  for (const [type, start, end] of children(moov, headerAt(moov, 0), moov.length)) {
    if (type !== 'trak') continue;
    const mdia = childOf(moov, start, end, 'mdia');
    const hdlr = mdia && childOf(moov, mdia[1], mdia[2], 'hdlr');
    const tkhd = childOf(moov, start, end, 'tkhd');
    const handler =
      hdlr && hdlr[1] + 20 <= hdlr[2]
        ? String.fromCharCode(...moov.subarray(hdlr[1] + 16, hdlr[1] + 20))
        : '';
    if (handler === 'vide' && tkhd && tkhd[1] + 32 <= tkhd[2]) {
      video.add(view.getUint32(tkhd[1] + (moov[tkhd[1] + 8] === 1 ? 28 : 20)));
    } else others.push(start);
  }
  if (video.size > 0) for (const at of others) rename(moov, at, 'free');
  return video;
}

/** In a whole moof box's bytes (changed in place), turn the fragments of other tracks into 'free'. */
export function hideOtherFragments(moof: Uint8Array, videoTracks: ReadonlySet<number>): void {
  const view = new DataView(moof.buffer, moof.byteOffset, moof.byteLength);
  for (const [type, start, end] of children(moof, headerAt(moof, 0), moof.length)) {
    if (type !== 'traf') continue;
    const tfhd = childOf(moof, start, end, 'tfhd');
    if (tfhd && tfhd[1] + 16 <= tfhd[2] && !videoTracks.has(view.getUint32(tfhd[1] + 12))) {
      rename(moof, start, 'free');
    }
  }
}
