#!/usr/bin/env node
// Pre-test check of the system packages the tests need: Chromium (headless browser, and the
// SwiftShader Vulkan driver it ships, which gives WebGPU without a GPU), the Vulkan loader
// libvulkan.so.1 (Dawn, the `webgpu` package of the gpu tier, loads it to reach SwiftShader),
// ffmpeg (test videos) and Python 3 with NumPy (tools/demo, which `npm run bench:accuracy` runs
// to write its test questions and videos). As root on Debian it installs what is missing with apt-get; elsewhere it
// prints the command. Importing it checks nothing; running it does.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Debian's multiarch directory for this machine's libraries. */
const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch] ?? '';

/** What the tests need: each is present when any of its paths exists. */
export const NEEDS = [
  { what: 'Chromium', paths: ['/usr/bin/chromium'], pkg: 'chromium' },
  {
    what: 'SwiftShader Vulkan driver',
    paths: ['/usr/lib/chromium/vk_swiftshader_icd.json'],
    pkg: 'chromium',
  },
  {
    what: 'Vulkan loader',
    paths: [
      `/usr/lib/${triplet}/libvulkan.so.1`,
      `/lib/${triplet}/libvulkan.so.1`,
      '/usr/lib64/libvulkan.so.1',
      '/usr/lib/libvulkan.so.1',
    ],
    pkg: 'libvulkan1',
  },
  { what: 'ffmpeg', paths: ['/usr/bin/ffmpeg'], pkg: 'ffmpeg' },
  { what: 'ffprobe', paths: ['/usr/bin/ffprobe'], pkg: 'ffmpeg' },
  { what: 'Python 3', paths: ['/usr/bin/python3'], pkg: 'python3' },
  {
    what: 'NumPy for Python 3',
    paths: [
      '/usr/lib/python3/dist-packages/numpy/__init__.py',
      '/usr/local/lib/python3/dist-packages/numpy/__init__.py',
    ],
    pkg: 'python3-numpy',
  },
  {
    what: 'fonts for screenshots',
    paths: ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'],
    pkg: 'fonts-dejavu-core',
  },
];

/** The needs none of whose paths exist. */
export function missingNeeds(exists = existsSync) {
  return NEEDS.filter((n) => !n.paths.some((p) => exists(p)));
}

/** The apt-get command that installs what is missing. */
export function installCommand(missing) {
  return `apt-get install -y --no-install-recommends ${[...new Set(missing.map((m) => m.pkg))].join(' ')}`;
}

function main() {
  const missing = missingNeeds();
  if (missing.length === 0) {
    console.log('system check: chromium, SwiftShader, libvulkan1, ffmpeg, python3-numpy present');
    return 0;
  }
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  console.log(
    `system check: missing ${missing.map((m) => `${m.what} (${m.paths[0]})`).join(', ')}`,
  );
  const isRoot = process.getuid?.() === 0;
  const isDebian = existsSync('/etc/debian_version');
  if (!isRoot || !isDebian) {
    console.error(
      `Install them, then run the tests again:\n  sudo apt-get update && sudo ${installCommand(missing)}`,
    );
    return 1;
  }
  console.log(`installing: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  if (update.status !== 0) console.warn('apt-get update failed; trying the install anyway');
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
    stdio: 'inherit',
    env,
  });
  const still = missingNeeds();
  if (still.length) {
    console.error(`system check: still missing ${still.map((m) => m.paths[0]).join(', ')}`);
    return 1;
  }
  console.log('system check: installed');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(main());
}
