#!/usr/bin/env node
// The entry: the only place that reads argv and sets the exit code (config.ts reads the environment).
import { fileURLToPath } from 'node:url';
import { readEnv } from './config.js';
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2), readEnv(fileURLToPath(import.meta.url)));
