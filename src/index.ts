#!/usr/bin/env node
// The entry: the only place that reads argv and sets the exit code (config.ts reads the environment).
// Every command, `serve` included, runs through the one CLI; each command loads its own chunk on use.
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { readEnv } from './config.js';

// Node ≥ 22.1 keeps compiled code on disk for the modules loaded from here on (the CLI's chunks);
// Node 20 has no such cache and compiles on every start.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const env = readEnv(fileURLToPath(import.meta.url));
process.exitCode = await (await import('./cli/main.js')).main(process.argv.slice(2), env);
