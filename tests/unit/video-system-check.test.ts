// The pre-test system check (scripts/check-system.mjs) knows every system package the video and
// GPU tiers and bench:accuracy need, the Vulkan loader and NumPy included, and names the package that brings what is missing.
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain Node script, without type declarations
import { installCommand, missingNeeds } from '../../scripts/check-system.mjs';

type Need = { what: string; paths: string[]; pkg: string };
const missing = missingNeeds as (exists?: (path: string) => boolean) => Need[];
const command = installCommand as (missing: Need[]) => string;

describe('system check', () => {
  it('finds everything on a machine that has it all', () => {
    expect(missing(() => true)).toEqual([]);
  });

  it('asks for libvulkan1 when no libvulkan.so.1 is found (Dawn needs it)', () => {
    const gone = missing((path) => !path.endsWith('/libvulkan.so.1'));
    expect(gone.map((n) => n.pkg)).toEqual(['libvulkan1']);
    expect(command(gone)).toBe('apt-get install -y --no-install-recommends libvulkan1');
  });

  it('takes the loader from any library directory', () => {
    expect(
      missing((path) => path === '/usr/lib64/libvulkan.so.1' || !path.includes('vulkan.so')),
    ).toEqual([]);
  });

  it('asks for python3-numpy when NumPy is not found (bench:accuracy writes its test set with it)', () => {
    const gone = missing((path) => !path.includes('/numpy/'));
    expect(gone.map((n) => n.pkg)).toEqual(['python3-numpy']);
    expect(command(gone)).toBe('apt-get install -y --no-install-recommends python3-numpy');
  });

  it('names each package once', () => {
    const all = missing(() => false);
    expect(command(all)).toBe(
      'apt-get install -y --no-install-recommends chromium libvulkan1 ffmpeg python3 python3-numpy fonts-dejavu-core',
    );
  });
});
