#!/usr/bin/env node
// Pre-test check of the system packages the tests need: Chromium (headless browser, and the
// SwiftShader Vulkan driver it ships, which gives WebGPU without a GPU) and ffmpeg (test videos).
// As root on Debian it installs what is missing with apt-get; elsewhere it prints the command.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needs = [
  { what: 'Chromium', path: '/usr/bin/chromium', pkg: 'chromium' },
  {
    what: 'SwiftShader Vulkan driver',
    path: '/usr/lib/chromium/vk_swiftshader_icd.json',
    pkg: 'chromium',
  },
  { what: 'ffmpeg', path: '/usr/bin/ffmpeg', pkg: 'ffmpeg' },
  { what: 'ffprobe', path: '/usr/bin/ffprobe', pkg: 'ffmpeg' },
  {
    what: 'fonts for screenshots',
    path: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
    pkg: 'fonts-dejavu-core',
  },
];

const missing = needs.filter((n) => !existsSync(n.path));
if (missing.length === 0) {
  console.log('system check: chromium, SwiftShader, ffmpeg present');
  process.exit(0);
}
const pkgs = [...new Set(missing.map((m) => m.pkg))];
const command = `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
console.log(`system check: missing ${missing.map((m) => `${m.what} (${m.path})`).join(', ')}`);

const isRoot = process.getuid?.() === 0;
const isDebian = existsSync('/etc/debian_version');
if (!isRoot || !isDebian) {
  console.error(
    `Install them, then run the tests again:\n  sudo apt-get update && sudo ${command}`,
  );
  process.exit(1);
}
console.log(`installing: ${pkgs.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const update = spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
if (update.status !== 0) console.warn('apt-get update failed; trying the install anyway');
execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
  stdio: 'inherit',
  env,
});
const still = needs.filter((n) => !existsSync(n.path));
if (still.length) {
  console.error(`system check: still missing ${still.map((m) => m.path).join(', ')}`);
  process.exit(1);
}
console.log('system check: installed');
