// Launching the system's Chromium headless with WebGPU (on SwiftShader where there is no GPU),
// one set of flags for the command line, the e2e tests and the benches.

import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.KVTP_CHROMIUM ?? '/usr/bin/chromium';

/** Chromium's launch options: `webgpu: false` offers no WebGPU adapter, as many machines do. */
export interface ChromiumOptions {
  readonly webgpu?: boolean;
}

/** Flags: WebGPU on (unless `webgpu: false`), and nothing that reaches for the network. */
export function chromiumArgs({ webgpu = true }: ChromiumOptions = {}): string[] {
  const args = [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--autoplay-policy=no-user-gesture-required',
  ];
  if (!webgpu) return args;
  args.push('--enable-unsafe-webgpu');
  // KVTP_GPU=hardware uses the machine's GPU; the default (and CI) is SwiftShader.
  if (process.env.KVTP_GPU !== 'hardware') args.push('--use-webgpu-adapter=swiftshader');
  return args;
}

export async function launchChromium(options: ChromiumOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw Object.assign(new Error(`Chromium not found at ${CHROMIUM_PATH}.`), {
      code: 'no-browser',
      message: `kvtp needs Chromium at ${CHROMIUM_PATH} (Debian: sudo apt-get install chromium), or set KVTP_CHROMIUM to its path.`,
    });
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: chromiumArgs(options),
    headless: true,
  });
}
