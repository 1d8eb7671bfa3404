#!/usr/bin/env node
// The entry: the only place that reads argv and exits (config.ts reads the environment).
const { main } = await import('./cli/main.js');
process.exitCode = await main(process.argv.slice(2));
