// `kvtp` subcommands. Each lives in cli/commands/ and returns an exit code.

import { askCommand } from './commands/ask.ts';
import { allocateCommand, pruneCommand } from './commands/kernels.ts';
import { probeCommand } from './commands/probe.ts';

export type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, { run: Command; summary: string }> = {
  probe: {
    run: probeCommand,
    summary:
      'probe VIDEO [--frames N] [--json]   container facts, file size and L sampled frame times',
  },
  ask: {
    run: askCommand,
    summary:
      'ask VIDEO "QUESTION" [--method M] [--keep R] [--allocation A] [--json]   answer with KVTP',
  },
  allocate: {
    run: allocateCommand,
    summary: 'allocate --input F.json [--backend cpu|gpu]   per-frame budgets from frame scores',
  },
  prune: {
    run: pruneCommand,
    summary:
      "prune --input F.json [--backend cpu|gpu]   reduce one frame's tokens (none, random, tome, prumerge)",
  },
};

const usage = () =>
  [
    'kvtp — keyframe-oriented vision token pruning, from the command line (runs in headless Chromium)',
    '',
    'usage:',
    ...Object.values(commands).map((c) => `  kvtp ${c.summary}`),
  ].join('\n');

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`kvtp: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  return command.run(rest);
}
