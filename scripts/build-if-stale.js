#!/usr/bin/env node
/**
 * `npm start`'s prestart: runs `nest build` only when dist/ is older than what it is built from
 * (src/, the tsconfigs, nest-cli.json, package.json, package-lock.json), as make would. A full
 * `nest build` costs seconds and `deleteOutDir` makes it start from scratch each time.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package.json', 'package-lock.json'];

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const output = join(ROOT, 'dist', 'main.js');
const built = existsSync(output) ? statSync(output).mtimeMs : 0;
const changed = Math.max(
  ...INPUTS.map((input) => join(ROOT, input))
    .filter(existsSync)
    .map(newest),
);
if (built > changed) {
  console.log('dist/ is current; not rebuilding (npm run build forces it)');
} else {
  const result = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
