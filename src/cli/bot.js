#!/usr/bin/env node
// The `bot` command. Sources are TypeScript run through tsx, so strategies in strategies/*.ts load without a build
// step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
