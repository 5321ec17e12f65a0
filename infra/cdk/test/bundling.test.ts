// What `cdk deploy` runs to build the functions: cargo-lambda-cdk's local bundling, with a
// stand-in `cargo` on PATH that records its arguments (and writes an empty bootstrap), so
// the synthesis bundles every function without compiling. The command it records must be
// the one tools/package.sh (make package) builds with, so one release build serves both.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Bundling } from 'cargo-lambda-cdk/lib/bundling';
import { AuroraFailback } from '../lib';
import { REAL_DR_DEFINITION, REPO_ROOT, definitionPath } from './support';

/** Synthesises the construct with bundling on; the recorded `cargo` argument lists. */
function bundledCommands(architecture?: 'arm64' | 'x86_64'): string[][] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cargo-stand-in-'));
  const log = path.join(dir, 'calls.log');
  // `cargo lambda --version` says cargo-lambda is there (else it bundles in Docker);
  // `cargo lambda build ... --lambda-dir DIR` must leave DIR/bootstrap.
  fs.writeFileSync(path.join(dir, 'cargo'), [
    '#!/bin/sh',
    `printf '%s\\n' "$*" >> '${log}'`,
    'while [ $# -gt 0 ]; do',
    '  if [ "$1" = --lambda-dir ]; then mkdir -p "$2" && : > "$2/bootstrap"; fi',
    '  shift',
    'done',
    '',
  ].join('\n'), { mode: 0o755 });
  const savedPath = process.env.PATH;
  process.env.PATH = `${dir}${path.delimiter}${savedPath}`;
  Bundling.clearRunsLocallyCache();
  try {
    const app = new App({ outdir: path.join(dir, 'cdk.out') });
    const stack = new Stack(app, 'Bundled');
    new AuroraFailback(stack, 'AuroraFailback', {
      definitionPath: definitionPath(), drDefinitionPath: REAL_DR_DEFINITION, architecture,
    });
    app.synth();
  } finally {
    process.env.PATH = savedPath;
    Bundling.clearRunsLocallyCache();
  }
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
  fs.rmSync(dir, { recursive: true, force: true });
  return lines.map((line) => line.split(' ')).filter((args) => args[1] === 'build');
}

/** The flags of a `cargo lambda build` other than where it puts the result and which binary. */
function buildFlags(args: string[]): string[] {
  const flags: string[] = [];
  for (let i = 2; i < args.length; i++) {
    if (['--lambda-dir', '--flatten', '--bin'].includes(args[i])) {
      i++;
    } else if (!args[i].startsWith('--bin=')) {
      flags.push(args[i]);
    }
  }
  return flags;
}

describe('bundling', () => {
  it('builds each function with `cargo lambda build --release --arm64 --bin <its binary>`, as make package does', () => {
    const commands = bundledCommands();
    const binaries = commands.map((args) => args[args.indexOf('--bin') + 1]).sort();
    assert.deepEqual(binaries, ['check-status', 'create-reader', 'describe-writer', 'dr-act', 'dr-check',
      'dr-validate', 'failover', 'record-run']);
    for (const args of commands) {
      assert.deepEqual(args.slice(0, 2), ['lambda', 'build'], args.join(' '));
      assert.deepEqual(buildFlags(args), ['--release', '--arm64'], args.join(' '));
    }
    // make package's one build of every binary: the same release profile and architecture
    // flag, so its build is the one these commands find.
    const script = fs.readFileSync(path.join(REPO_ROOT, 'tools', 'package.sh'), 'utf8');
    assert.match(script, /cargo lambda build --release "\$\{arch_flag\[@\]\}"/);
    assert.match(script, /arch_flag=\(--arm64\)/);
  });

  it('builds for x86_64 when the construct is told so', () => {
    for (const args of bundledCommands('x86_64')) {
      assert.deepEqual(buildFlags(args), ['--release', '--x86-64'], args.join(' '));
    }
  });
});
