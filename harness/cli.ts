#!/usr/bin/env bun
import { Command, CommanderError } from 'commander';
import { datasetsCommand } from './commands/datasets.ts';
import { evalDumpsCommand } from './commands/eval-dumps.ts';
import { exportCommand, importCommand } from './commands/export.ts';
import { mergeCommand } from './commands/merge.ts';
import { runCommand } from './commands/run.ts';
import { scorersCommand } from './commands/scorers.ts';
import { serveCommand } from './commands/serve.ts';
import { showCommand } from './commands/show.ts';
import { siteCommand } from './commands/site.ts';
import { submissionsCommand } from './commands/submissions.ts';
import { trainCommand } from './commands/train.ts';
import { InputError } from './errors.ts';
import pkg from '../package.json';

const program = new Command('harness')
  .description('multiood: the MultiOOD benchmark harness (bun harness <command> --help)')
  .version(pkg.version)
  .showHelpAfterError()
  .exitOverride()
  .addCommand(runCommand())
  .addCommand(showCommand())
  .addCommand(evalDumpsCommand())
  .addCommand(scorersCommand())
  .addCommand(trainCommand())
  .addCommand(datasetsCommand())
  .addCommand(mergeCommand())
  .addCommand(exportCommand())
  .addCommand(importCommand())
  .addCommand(serveCommand())
  .addCommand(submissionsCommand())
  .addCommand(siteCommand());
// Usage errors exit 2 like every other input error, from subcommands too.
for (const command of program.commands) command.exitOverride().showHelpAfterError();

const USER_FS_FAULTS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EFBIG', 'ELOOP']);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  if (e instanceof InputError) {
    process.stderr.write(`error: ${e.message.split('\n')[0]}\n`);
    process.exit(2);
  }
  // The file system refusing what the user pointed us at (a full disk, a read-only or missing
  // folder) is an input fault too: the OS message names the call and, mostly, the path.
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof Error && 'syscall' in e && typeof code === 'string' && USER_FS_FAULTS.has(code)) {
    process.stderr.write(`error: ${e.message.split('\n')[0]}\n`);
    process.exit(2);
  }
  throw e;
}
