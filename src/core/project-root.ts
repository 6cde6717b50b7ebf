/**
 * Where the project's own folders are (config/, strategies/, package.json), found from this file's place in src/core.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
