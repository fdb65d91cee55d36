#!/usr/bin/env node
// The `finetune` command. It runs the TypeScript CLI through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';
register();
await import('../electron/backend/cli/main.ts');
