import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  generateSigningKeyPair,
  parseSigningKey,
  SigningKeyError,
  signBundle,
} from '../../update/bundle-signing.js';
import { CommandFailedError, UsageError } from '../cli-errors.js';
import { type CliIo, EXIT_OK } from '../cli-io.js';
import { nonEmpty, parseCommandLine, runLakeCommand } from '../lake-command.js';

export const PRIVATE_KEY_FILE = 'update-signing-key.pem';
export const PUBLIC_KEY_FILE = 'update-public-key.pem';

export const SIGN_BUNDLE_USAGE = `Usage: coffee-iot sign-bundle --key KEY.pem BUNDLE [--out BUNDLE.sig] [--json]
       coffee-iot sign-bundle --generate-key DIR

Signs an agent release (BUNDLE: coffee-iot-agent-VERSION-linux-ARCH.tar.gz from npm run release)
for an update-agent job. Prints its SHA-256 and the signature (base64 of a DER ECDSA P-256
signature over the SHA-256 of the bundle), the job document's bundle.sha256 and bundle.signature,
and the same as parameters for coffee-iot jobs run update-agent.
Devices install only bundles signed by the key whose public half is at their agent.json
updatePublicKeyPath. See docs/agent-updates.md.

  --key KEY.pem         the ECDSA P-256 private key (PEM, unencrypted); any other key is refused
  --out BUNDLE.sig      also write the signature there, DER (openssl dgst -sha256 -verify
                        PUBLIC.pem -signature BUNDLE.sig BUNDLE checks it)
  --json                print {"sha256": ..., "signature": ...} for the job document
  --generate-key DIR    make a P-256 key pair: DIR/${PRIVATE_KEY_FILE} (mode 0600, keep it off
                        the devices) and DIR/${PUBLIC_KEY_FILE} (copy to each device); never
                        overwrites an existing file
  -h, --help            show this help

Exit status: 0 signed (or keys made); 1 a file could not be read or written, or the key is
not an ECDSA P-256 private key; 2 bad usage.
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  key: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  'generate-key': { type: 'string' },
} as const;

type SignBundleCommand =
  | { kind: 'sign'; key: string; bundle: string; out: string | undefined; json: boolean }
  | { kind: 'generate'; dir: string };

function signBundleCommand(argv: readonly string[], io: CliIo): SignBundleCommand | 'help' {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, { allowPositionals: true });
  if (values.help === true) return 'help';
  const at = (path: string) => resolve(io.cwd ?? process.cwd(), path);
  const dir = nonEmpty('--generate-key', values['generate-key']);
  if (dir !== undefined) {
    const extra = [
      ...(values.key !== undefined ? ['--key'] : []),
      ...(values.out !== undefined ? ['--out'] : []),
      ...(values.json === true ? ['--json'] : []),
      ...positionals,
    ];
    if (extra.length > 0)
      throw new UsageError(`--generate-key DIR takes nothing else, got ${extra.join(' ')}`);
    return { kind: 'generate', dir: at(dir) };
  }
  const key = nonEmpty('--key', values.key);
  if (key === undefined)
    throw new UsageError('--key KEY.pem is required (or --generate-key DIR to make one)');
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'name the BUNDLE to sign'
        : `one BUNDLE at a time, got ${positionals.join(' ')}`,
    );
  }
  const out = nonEmpty('--out', values.out);
  return {
    kind: 'sign',
    key: at(key),
    bundle: at(positionals[0] as string),
    out: out === undefined ? undefined : at(out),
    json: values.json === true,
  };
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new CommandFailedError(`${what} ${path} cannot be read (${(error as Error).message})`, {
      cause: error,
    });
  }
}

async function sign(command: Extract<SignBundleCommand, { kind: 'sign' }>, io: CliIo): Promise<number> {
  const key = parseSigningKey(await readInput(command.key, 'key'), command.key);
  const signature = signBundle(await readInput(command.bundle, 'bundle'), key);
  if (command.out !== undefined) await writeFile(command.out, signature.der);
  io.stdout.write(
    command.json
      ? `${JSON.stringify({ sha256: signature.sha256, signature: signature.base64 }, null, 2)}\n`
      : `sha256: ${signature.sha256}\nsignature: ${signature.base64}\n` +
          `job parameters: --param bundle.sha256=${signature.sha256} --param bundle.signature=${signature.base64}\n`,
  );
  if (command.out !== undefined)
    io.stderr.write(`coffee-iot sign-bundle: signature (DER) written to ${command.out}\n`);
  return EXIT_OK;
}

async function generate(dir: string, io: CliIo): Promise<number> {
  const pair = generateSigningKeyPair();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  const publicPath = join(dir, PUBLIC_KEY_FILE);
  try {
    // 'wx': an existing key is never overwritten (devices may already trust it).
    await writeFile(privatePath, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
    await chmod(privatePath, 0o600); // the umask may have narrowed it, never widened: make it exact
    await writeFile(publicPath, pair.publicKeyPem, { mode: 0o644, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CommandFailedError(
        `${(error as NodeJS.ErrnoException).path ?? dir} exists; not overwriting a signing key (choose another DIR)`,
      );
    }
    throw error;
  }
  io.stdout.write(
    `private key: ${privatePath} (mode 0600: keep it off the devices)\npublic key: ${publicPath} (copy to each device and set updatePublicKeyPath in agent.json)\n`,
  );
  return EXIT_OK;
}

/** `coffee-iot sign-bundle …` (SIGN_BUNDLE_USAGE). Returns the exit code; never throws. */
export function runSignBundle(argv: readonly string[], io: CliIo): Promise<number> {
  return runLakeCommand(
    {
      name: 'sign-bundle',
      usage: SIGN_BUNDLE_USAGE,
      parse: signBundleCommand,
      run: (command, commandIo) =>
        command.kind === 'generate' ? generate(command.dir, commandIo) : sign(command, commandIo),
      plainErrors: [SigningKeyError.name],
    },
    argv,
    io,
  );
}
