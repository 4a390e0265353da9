import { resolve } from 'node:path';
import type { Command } from 'commander';
import { buildBundle } from '../lifecycle/bundle.js';
import { generateKeyPair, publicKeyText, readPrivateKey, readPublicKeyFile, writeKeyFiles } from '../../firmware/security/keys.js';
import { TARGETS, type Target, hostTarget, releaseKeyId } from '../lifecycle/manifest.js';
import { BundleRefused, checkBundle } from '../lifecycle/release.js';

const MB = 1024 * 1024;

export function registerBundle(program: Command): void {
  const cmd = program
    .command('bundle')
    .description('build a signed release bundle for a box (docs/install.md)')
    .option('-t, --target <target>', `target: ${TARGETS.join(', ')}`, hostTarget() ?? 'linux-x64')
    .option('-k, --key <file>', 'Ed25519 release private key (PKCS#8 PEM; edgefw bundle keygen)')
    .option('-o, --out <file>', 'output file (default bundles/edgefw-<version>-<target>.tar.gz)')
    .option('--release-version <version>', "override package.json's version")
    .option('--no-deps', 'leave node_modules out (test bundles only: a box cannot run it alone)')
    .action(async (opts: { target: string; key?: string; out?: string; releaseVersion?: string; deps: boolean }) => {
      if (!(TARGETS as readonly string[]).includes(opts.target)) {
        console.error(`--target ${opts.target}: not one of ${TARGETS.join(', ')}`);
        process.exitCode = 2;
        return;
      }
      if (!opts.key) {
        console.error('--key <file> is required: the release private key (make one with `edgefw bundle keygen release.key`)');
        process.exitCode = 2;
        return;
      }
      let key;
      try {
        key = readPrivateKey(opts.key);
      } catch (e) {
        console.error(`${(e as Error).message}; make a release key with \`edgefw bundle keygen ${opts.key}\``);
        process.exitCode = 2;
        return;
      }
      const t0 = performance.now();
      const r = await buildBundle({
        repo: process.cwd(),
        target: opts.target as Target,
        ...key,
        ...(opts.out ? { out: resolve(opts.out) } : {}),
        ...(opts.releaseVersion ? { version: opts.releaseVersion } : {}),
        deps: opts.deps ? 'production' : 'none',
        ...(process.env.SOURCE_DATE_EPOCH ? { epoch: Number(process.env.SOURCE_DATE_EPOCH) } : {}),
      });
      const m = r.manifest;
      console.log(`${r.file}`);
      console.log(`  edgefw ${m.version} for ${m.target}, Node ${m.node}, signed by release key ${releaseKeyId(key.publicKey)}`);
      console.log(`  ${r.files} files, ${(m.bytes / MB).toFixed(1)} MB unpacked, ${(r.bytes / MB).toFixed(1)} MB bundle, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      if (m.native.length) console.log(`  native modules built for ${m.target}: ${m.native.map((n) => `${n.name}@${n.version}`).join(', ')}`);
      if (m.buildOnTarget.length) {
        console.log(`  native modules to build on the box (python3, make, g++; docs/install.md): ${m.buildOnTarget.map((n) => `${n.name}@${n.version}`).join(', ')}`);
      }
      if (!opts.deps) console.log('  no node_modules: a test bundle, not for a box');
    });

  cmd
    .command('keygen <file>')
    .description('make an Ed25519 release key pair: FILE (private, 0600) and FILE.pub (goes on every box)')
    .action((file: string) => {
      // the box key's formats: PKCS#8 PEM (0600) and FILE.pub, the raw key in base64
      const pair = generateKeyPair();
      writeKeyFiles(file, pair);
      const pub = pair.publicKey;
      console.log(`release key ${releaseKeyId(pub)}: private ${file} (keep it off the boxes), public ${file}.pub`);
      console.log(`  public key: ${publicKeyText(pub)}`);
    });

  cmd
    .command('verify <file>')
    .description("check a bundle's signature, target and Node range without installing it")
    .requiredOption('--trust <pub...>', 'release public key file(s) (.pub)')
    .option('--box-target <target>', 'the target of the box', hostTarget() ?? 'linux-x64')
    .option('--box-node <version>', 'the Node version of the box', process.versions.node)
    .action(async (file: string, opts: { trust: string[]; boxTarget: string; boxNode: string }) => {
      try {
        const trusted = opts.trust.map((f) => readPublicKeyFile(f));
        const m = await checkBundle(file, { trusted, target: opts.boxTarget as Target, node: opts.boxNode, maxBytes: 2048 * MB });
        console.log(`ok: edgefw ${m.version} for ${m.target}, Node ${m.node}, ${m.files.length} files, ${(m.bytes / MB).toFixed(1)} MB`);
      } catch (e) {
        if (!(e instanceof BundleRefused)) throw e;
        console.error(`refused (${e.reason}): ${e.message}`);
        process.exitCode = 1;
      }
    });
}
