import type { Command } from '../command.js';
import { auditCommand } from './audit.js';
import { createCommand } from './create.js';
import { listCommand } from './list.js';
import { reviewCommand } from './review.js';
import { revokeCommand } from './revoke.js';
import { rotateCommand } from './rotate.js';
import { scanCommand } from './scan.js';
import { showCommand } from './show.js';
import { disableCommand, enableCommand } from './toggle.js';
import { updateCommand } from './update.js';
import { usageCommand } from './usage.js';
import { verifyCommand } from './verify.js';

/** Every command, in the order `keyward --help` lists them. */
export const COMMANDS: readonly Command[] = [
  createCommand,
  listCommand,
  showCommand,
  usageCommand,
  updateCommand,
  rotateCommand,
  revokeCommand,
  disableCommand,
  enableCommand,
  verifyCommand,
  scanCommand,
  auditCommand,
  reviewCommand,
];
