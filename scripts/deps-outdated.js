#!/usr/bin/env node
/**
 * npm run deps:outdated: the direct dependencies whose latest release is a new major, a report
 * (exit 0 however many there are). Minor and patch updates are left out: they are within the
 * ranges of package.json, and Renovate (renovate.json) proposes them.
 *
 * "Major" as npm's caret ranges mean it: 1.x -> 2.x, and below 1.0 the first non-zero part
 * (0.3.x -> 0.4.x, 0.0.3 -> 0.0.4), since that is where such packages make breaking changes.
 * Compared with the installed version, or the wanted one where the package is not installed.
 *
 *   npm run deps:outdated                 asks the registry (npm outdated --json --long)
 *   npm run deps:outdated -- --from FILE  reads a saved `npm outdated --json --long` instead
 * Exit 2 when npm gave no report (registry unreachable, no package.json).
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');

/** The part of a version whose change breaks a caret range: [major], [0, minor] or [0, 0, patch]. */
function breakingPart(version) {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  if (!match) return null;
  const [major, minor, patch] = match.slice(1).map(Number);
  if (major > 0) return [major];
  if (minor > 0) return [0, minor];
  return [0, 0, patch];
}

function isAbove(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? -1;
    const y = b[i] ?? -1;
    if (x !== y) return x > y;
  }
  return false;
}

/** From `npm outdated --json --long`: the entries whose latest is a new major, sorted by type and name. */
function outdatedMajors(report) {
  const rows = [];
  for (const [name, value] of Object.entries(report)) {
    // A package installed in several places is an array, one entry per place.
    for (const entry of Array.isArray(value) ? value : [value]) {
      const base = breakingPart(entry.current) ?? breakingPart(entry.wanted);
      const latest = breakingPart(entry.latest);
      if (base && latest && isAbove(latest, base)) {
        rows.push({ name, current: entry.current ?? '(missing)', wanted: entry.wanted, latest: entry.latest, type: entry.type ?? '' });
      }
    }
  }
  return rows.sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
}

function readReport(argv) {
  const from = argv.indexOf('--from');
  let text;
  if (from >= 0) {
    text = readFileSync(argv[from + 1], 'utf8');
  } else {
    // npm outdated exits 1 when anything is outdated: the JSON on stdout is what counts.
    const npm = spawnSync('npm', ['outdated', '--json', '--long'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (npm.error) throw npm.error;
    text = npm.stdout;
    if (!text.trim()) {
      if (npm.status === 0) return {};
      throw new Error(`npm outdated gave no report (exit ${npm.status}): ${npm.stderr.trim()}`);
    }
  }
  const report = JSON.parse(text || '{}');
  if (report.error) throw new Error(`npm outdated: ${report.error.summary ?? JSON.stringify(report.error)}`);
  return report;
}

function main() {
  let report;
  try {
    report = readReport(process.argv.slice(2));
  } catch (error) {
    console.error(`deps:outdated: ${error.message}`);
    process.exit(2);
  }
  const rows = outdatedMajors(report);
  const outdated = Object.keys(report).length;
  if (rows.length === 0) {
    console.log(`No outdated majors (${outdated} direct dependencies with a newer minor or patch).`);
    return;
  }
  const columns = ['name', 'current', 'wanted', 'latest', 'type'];
  const header = { name: 'package', current: 'current', wanted: 'wanted', latest: 'latest', type: 'type' };
  const widths = columns.map((c) => Math.max(...[header, ...rows].map((row) => String(row[c]).length)));
  const line = (row) =>
    columns
      .map((c, i) => String(row[c]).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(`${rows.length} direct dependencies have a new major (of ${outdated} with any update):\n`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

if (require.main === module) main();
module.exports = { breakingPart, outdatedMajors };
