/**
 * Each test process's own bot state folder (BOT_STATE_DIR, src/trading/state-dir.ts: the live account lock), in its
 * temp folder: test files run in parallel and would otherwise share one lock, and no test may write into the user's
 * real ~/.local/state. Set in this process's environment when imported, for live sessions opened in-process, and
 * given to every `bot` the helpers spawn; removed when the process exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEST_STATE_DIR = mkdtempSync(path.join(os.tmpdir(), 'bot-state-'));
process.env.BOT_STATE_DIR = TEST_STATE_DIR;
process.on('exit', () => rmSync(TEST_STATE_DIR, { recursive: true, force: true }));
