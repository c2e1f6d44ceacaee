/** The day to export is not a calendar day written yyyy-mm-dd. */
export class InvalidExportDayError extends Error {
  override readonly name = 'InvalidExportDayError';
  constructor(readonly day: string) {
    super(`"${day}" is not a day: give a UTC calendar day as yyyy-mm-dd, e.g. 2026-03-04`);
  }
}

/** A bucket name S3 would refuse (a photo bucket that would make every photo URL invalid): refused before anything is read. */
export class InvalidBucketNameError extends Error {
  override readonly name = 'InvalidBucketNameError';
}

/** Reading the lake or writing the export failed; the earlier export of the day (if any) is untouched. */
export class ExportFailedError extends Error {
  override readonly name = 'ExportFailedError';
  constructor(
    readonly day: string,
    step: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`export of ${day} failed while ${step}: ${reason}`, options);
  }
}
