import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { registerServe } from './serve.ts';

/** A command module adds its commands to the program; `setExit` sets a non-error exit code. */
export type RegisterCommands = (program: Command, ctx: CliContext, setExit: (code: number) => void) => void;

// One line per command module; keep alphabetical.
export const commands: RegisterCommands[] = [
  registerServe,
];
