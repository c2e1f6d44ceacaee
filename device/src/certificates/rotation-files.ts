import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { certificateIdOf, keyMatchesCertificate } from './certificate-id.js';
import { createKeyAndCsr, csrForKeyPem } from './csr.js';
import {
  exists,
  makePrivateDir,
  moveDurably,
  PRIVATE_FILE_MODE,
  readIfExists,
  removeDurably,
  writeFileAtomically,
} from './durable-files.js';

/** Where the transports read the device identity at every connect attempt. */
export interface IdentityPaths {
  readonly cert: string;
  readonly key: string;
}

/**
 * Durable record of a rotation in progress, so a crash at any step is finished or undone at the
 * next start before the transport reads the files. Absent: no rotation touched the files.
 */
export type RotationState =
  /** The old pair is in previous/; next/ is being renamed into place (finish it forward). */
  | { readonly phase: 'switching'; readonly certificateId: string; readonly previousCertificateId: string }
  /** The new pair is in place; waiting for a connection with it. */
  | { readonly phase: 'switched'; readonly certificateId: string; readonly previousCertificateId: string }
  /** The new pair could not connect; previous/ is being renamed back into place (finish it). */
  | {
      readonly phase: 'restoring';
      readonly certificateId: string;
      readonly previousCertificateId: string;
      readonly reason: string;
    }
  | {
      readonly phase: 'done';
      readonly outcome: 'connected' | 'restored';
      readonly certificateId: string;
      readonly previousCertificateId: string;
      readonly reason?: string;
    };

export class RotationFilesError extends Error {
  override readonly name = 'RotationFilesError';
}

/**
 * The files of a certificate rotation, beside the identity they replace:
 *
 *   {certDir}/rotation/next/      key.pem (0600) then cert.pem, the pair being introduced
 *   {certDir}/rotation/previous/  the pair it replaced, kept until the new one has connected
 *   {certDir}/rotation/state.json RotationState
 *
 * Invariant: the pair in place always matches (a key is never in place without its certificate)
 * once `recover()` has run. Two renames cannot be one atomic step, so each switch is recorded
 * first and finished forward by `recover()` after a crash: both halves it moves are on disk
 * before the record is written.
 */
export class RotationFiles {
  readonly dir: string;
  private readonly nextDir: string;
  private readonly previousDir: string;
  private readonly stateFile: string;

  constructor(readonly identity: IdentityPaths) {
    this.dir = join(dirname(identity.cert), 'rotation');
    this.nextDir = join(this.dir, 'next');
    this.previousDir = join(this.dir, 'previous');
    this.stateFile = join(this.dir, 'state.json');
  }

  private get next(): IdentityPaths {
    return { cert: join(this.nextDir, 'cert.pem'), key: join(this.nextDir, 'key.pem') };
  }

  private get previous(): IdentityPaths {
    return { cert: join(this.previousDir, 'cert.pem'), key: join(this.previousDir, 'key.pem') };
  }

  async readState(): Promise<RotationState | null> {
    const text = await readIfExists(this.stateFile);
    if (text === null) return null;
    try {
      return JSON.parse(text) as RotationState;
    } catch (error) {
      throw new RotationFilesError(
        `${this.stateFile} is not valid JSON; inspect it and the files beside it`,
        {
          cause: error,
        },
      );
    }
  }

  private async writeState(state: RotationState): Promise<void> {
    await makePrivateDir(this.dir);
    await writeFileAtomically(this.stateFile, `${JSON.stringify(state)}\n`, PRIVATE_FILE_MODE);
  }

  /** The certificate id of the pair in place. */
  async currentCertificateId(): Promise<string> {
    return certificateIdOf(await this.readRequired(this.identity.cert));
  }

  /**
   * A new key in next/ and its CSR. A key already there without a certificate (a crash before the
   * answer came) is reused: it never left the device, so asking again for it is safe.
   */
  async prepareNextKey(commonName: string): Promise<string> {
    const existing = await readIfExists(this.next.key);
    if (existing !== null && (await readIfExists(this.next.cert)) === null) {
      return csrForKeyPem(existing, commonName);
    }
    await removeDurably(this.nextDir);
    await makePrivateDir(this.nextDir);
    const { privateKeyPem, csrPem } = await createKeyAndCsr(commonName);
    await writeFileAtomically(this.next.key, privateKeyPem, PRIVATE_FILE_MODE);
    return csrPem;
  }

  /** Stores the issued certificate beside its key; refuses one that is not for that key. */
  async storeNextCertificate(certificatePem: string): Promise<string> {
    const key = await this.readRequired(this.next.key);
    if (!keyMatchesCertificate(certificatePem, key)) {
      throw new RotationFilesError('the issued certificate is not for the key in rotation/next/');
    }
    await writeFileAtomically(this.next.cert, certificatePem, 0o644);
    return certificateIdOf(certificatePem);
  }

  /** The certificate id of a complete next/ pair, or null when there is none. */
  async nextCertificateId(): Promise<string | null> {
    const [cert, key] = await Promise.all([readIfExists(this.next.cert), readIfExists(this.next.key)]);
    if (cert === null || key === null || !keyMatchesCertificate(cert, key)) return null;
    return certificateIdOf(cert);
  }

  /** Keeps the pair in place in previous/, then puts next/ in place. */
  async switchToNext(): Promise<RotationState> {
    const certificateId = await this.nextCertificateId();
    if (certificateId === null)
      throw new RotationFilesError('rotation/next/ holds no complete key and certificate');
    const previousCertificateId = await this.currentCertificateId();
    await removeDurably(this.previousDir);
    await makePrivateDir(this.previousDir);
    await copyDurably(this.identity.key, this.previous.key, PRIVATE_FILE_MODE);
    await copyDurably(this.identity.cert, this.previous.cert, 0o644);
    await this.writeState({ phase: 'switching', certificateId, previousCertificateId });
    return this.finishSwitching({ phase: 'switching', certificateId, previousCertificateId });
  }

  private async finishSwitching(state: RotationState & { phase: 'switching' }): Promise<RotationState> {
    await this.moveIntoPlace(this.next);
    const switched: RotationState = { ...state, phase: 'switched' };
    await this.writeState(switched);
    return switched;
  }

  /** Puts previous/ back in place: the new pair could not connect. */
  async restorePrevious(reason: string): Promise<RotationState> {
    const state = await this.readState();
    if (state?.phase !== 'switched')
      throw new RotationFilesError(`nothing to restore (state ${state?.phase ?? 'none'})`);
    const restoring: RotationState = { ...state, phase: 'restoring', reason };
    await this.writeState(restoring);
    return this.finishRestoring(restoring);
  }

  private async finishRestoring(state: RotationState & { phase: 'restoring' }): Promise<RotationState> {
    await this.moveIntoPlace(this.previous);
    const done: RotationState = {
      phase: 'done',
      outcome: 'restored',
      certificateId: state.certificateId,
      previousCertificateId: state.previousCertificateId,
      reason: state.reason,
    };
    await this.writeState(done);
    return done;
  }

  /** The new pair connected: the old key is no longer needed (the cloud deactivates its certificate). */
  async confirm(): Promise<RotationState> {
    const state = await this.readState();
    if (state?.phase !== 'switched')
      throw new RotationFilesError(`nothing to confirm (state ${state?.phase ?? 'none'})`);
    const done: RotationState = {
      phase: 'done',
      outcome: 'connected',
      certificateId: state.certificateId,
      previousCertificateId: state.previousCertificateId,
    };
    await this.writeState(done);
    await removeDurably(this.previousDir);
    return done;
  }

  /** Forgets a finished rotation's leftovers before a new one starts. */
  async clearNext(): Promise<void> {
    await removeDurably(this.nextDir);
  }

  /**
   * Finishes whatever a crash interrupted, so the pair in place matches before anything connects.
   * Returns the state after recovery.
   */
  async recover(): Promise<RotationState | null> {
    let state = await this.readState();
    if (state?.phase === 'switching') state = await this.finishSwitching(state);
    if (state?.phase === 'restoring') state = await this.finishRestoring(state);
    const [cert, key] = await Promise.all([
      readIfExists(this.identity.cert),
      readIfExists(this.identity.key),
    ]);
    if (cert !== null && key !== null && !keyMatchesCertificate(cert, key)) {
      throw new RotationFilesError(
        `${this.identity.key} is not the key of ${this.identity.cert}; restore both from ${this.previousDir} or re-provision`,
      );
    }
    return state;
  }

  private async moveIntoPlace(from: IdentityPaths): Promise<void> {
    // Key first, then certificate: recover() finishes whichever is still waiting.
    if (await exists(from.key)) await moveDurably(from.key, this.identity.key);
    if (await exists(from.cert)) await moveDurably(from.cert, this.identity.cert);
  }

  private async readRequired(path: string): Promise<string> {
    const text = await readIfExists(path);
    if (text === null) throw new RotationFilesError(`${path} is missing`);
    return text;
  }
}

async function copyDurably(from: string, to: string, mode: number): Promise<void> {
  await writeFileAtomically(to, await readFile(from, 'utf8'), mode);
}
