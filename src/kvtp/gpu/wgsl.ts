// The KVTP kernels' WGSL as the device compiles it. A kernel file's first line names the files
// it uses (`// includes: kvtp-common.wgsl kvtp-keys-*.wgsl`); this loader prepends exactly those,
// a `*` resolved by width: vec4 where the width is a multiple of 4 (16-byte loads), f32
// otherwise. Every file in shaders/ is valid WGSL on its own or with its includes
// (tests/gpu/wgsl.test.ts compiles them all).

import common from '../../../shaders/kvtp-common.wgsl?raw';
import featuresF32 from '../../../shaders/kvtp-features-f32.wgsl?raw';
import featuresVec4 from '../../../shaders/kvtp-features-vec4.wgsl?raw';
import keysF32 from '../../../shaders/kvtp-keys-f32.wgsl?raw';
import keysVec4 from '../../../shaders/kvtp-keys-vec4.wgsl?raw';

/** The files a kernel file may include, by name. */
export const KVTP_INCLUDES: Readonly<Record<string, string>> = {
  'kvtp-common.wgsl': common,
  'kvtp-keys-vec4.wgsl': keysVec4,
  'kvtp-keys-f32.wgsl': keysF32,
  'kvtp-features-vec4.wgsl': featuresVec4,
  'kvtp-features-f32.wgsl': featuresF32,
};

/** Row widths of a kernel's keys and features (in floats; default 1). */
export interface VectorWidths {
  readonly keys?: number;
  readonly features?: number;
}

/** The vector width a row of `width` floats is loaded with: 4 or 1. */
export function vectorWidth(width = 1): 4 | 1 {
  return width % 4 === 0 ? 4 : 1;
}

/** The include names on a kernel file's first line (empty when it has none). */
export function declaredIncludes(code: string): string[] {
  const m = /^\/\/ includes:(.*)$/m.exec(code.split('\n', 1)[0] ?? '');
  return m ? m[1]!.trim().split(/\s+/) : [];
}

/** `code` with its declared includes prepended, `*` resolved by `widths`. */
export function kvtpSource(code: string, widths: VectorWidths = {}): string {
  const parts = declaredIncludes(code).map((name) => {
    const resolved = name
      .replace('kvtp-keys-*', `kvtp-keys-${vectorWidth(widths.keys) === 4 ? 'vec4' : 'f32'}`)
      .replace(
        'kvtp-features-*',
        `kvtp-features-${vectorWidth(widths.features) === 4 ? 'vec4' : 'f32'}`,
      );
    const text = KVTP_INCLUDES[resolved];
    if (text === undefined) throw new Error(`WGSL include ${name}: no such file`);
    return text;
  });
  return [...parts, code].join('\n');
}
