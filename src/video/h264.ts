// H.264 samples a decoder may skip when we do not want their picture: non-reference pictures,
// whose NAL units all have nal_ref_idc 0, so that no other frame is predicted from them (most
// B-frames of x264's output). Pure: reads only NAL unit headers, never slice data.

/** NAL unit length prefix size (1, 2 or 4 bytes) from an avcC record, or null if it is not one. */
export function nalLengthSize(avcC: Uint8Array): number | null {
  if (avcC.length < 7 || avcC[0] !== 1) return null;
  return (avcC[4]! & 3) + 1;
}

/**
 * Whether an AVC sample (length-prefixed NAL units) is a non-reference picture: at least one
 * coded slice, and no NAL unit with a non-zero nal_ref_idc (slices, parameter sets, IDR). A
 * sample that does not parse cleanly is never called disposable: the decoder gets to judge it.
 */
export function isDisposableAvcSample(data: Uint8Array, lengthSize: number): boolean {
  let at = 0;
  let slices = 0;
  while (at < data.length) {
    if (at + lengthSize >= data.length) return false;
    let length = 0;
    for (let i = 0; i < lengthSize; i++) length = length * 256 + data[at + i]!;
    const header = data[at + lengthSize]!;
    if (length === 0 || header & 0x80) return false; // forbidden_zero_bit set: not H.264
    if (header & 0x60) return false; // nal_ref_idc ≠ 0: something refers to this
    if ((header & 0x1f) === 1) slices++; // coded slice of a non-IDR picture
    at += lengthSize + length;
  }
  return at === data.length && slices > 0;
}

/** A test for skippable samples of this codec, or null when none can be skipped safely. */
export function disposableTest(
  codec: string,
  description: Uint8Array | null,
): ((data: Uint8Array) => boolean) | null {
  if (!/^avc[13]\./.test(codec) || !description) return null;
  const lengthSize = nalLengthSize(description);
  if (lengthSize === null) return null;
  return (data) => isDisposableAvcSample(data, lengthSize);
}
