/**
 * Why a write to the device's storage failed, reduced to the causes an operator acts on:
 * a full disk (free space), an I/O error (replace the SD card), a read-only filesystem
 * (the kernel remounted it after errors, or it was mounted so), anything else.
 */
export const STORAGE_CAUSES = ['ENOSPC', 'EIO', 'EROFS', 'other'] as const;
export type StorageCause = (typeof STORAGE_CAUSES)[number];

/** How many items could not be stored, per cause. */
export type CauseCounts = Record<StorageCause, number>;

export function noCauseCounts(): CauseCounts {
  return { ENOSPC: 0, EIO: 0, EROFS: 0, other: 0 };
}

export function totalOf(counts: CauseCounts): number {
  return STORAGE_CAUSES.reduce((sum, cause) => sum + counts[cause], 0);
}

/** `ENOSPC 3, EIO 1`: the causes that occurred, for log lines and the status command. */
export function formatCauseCounts(counts: CauseCounts): string {
  const parts = STORAGE_CAUSES.filter((cause) => counts[cause] > 0).map(
    (cause) => `${cause} ${counts[cause]}`,
  );
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/**
 * Node reports errno names (`ENOSPC`); better-sqlite3 reports SQLite's extended result codes
 * (`SQLITE_FULL` when the VFS saw ENOSPC, `SQLITE_IOERR_WRITE`, `SQLITE_READONLY_…`) and not the
 * errno behind them. Our own errors wrap the original in `cause`, so the chain is walked.
 */
export function storageCause(error: unknown): StorageCause {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 8; depth += 1) {
    const cause = codeCause((current as { code?: unknown }).code);
    if (cause) return cause;
    current = (current as { cause?: unknown }).cause;
  }
  return 'other';
}

function codeCause(code: unknown): StorageCause | null {
  if (typeof code !== 'string') return null;
  // EDQUOT: a quota is a full disk as far as the operator is concerned.
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return 'ENOSPC';
  if (code === 'EIO' || code.startsWith('SQLITE_IOERR')) return 'EIO';
  if (code === 'EROFS' || code.startsWith('SQLITE_READONLY')) return 'EROFS';
  return null;
}
