/** createJob refused its input; `field` names what to fix. */
export class JobInputError extends Error {
  override readonly name = 'JobInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export class JobExistsError extends Error {
  override readonly name = 'JobExistsError';
  constructor(readonly jobId: string) {
    super(`a job with id "${jobId}" already exists; choose another id or leave it out`);
  }
}

export class UnknownJobError extends Error {
  override readonly name = 'UnknownJobError';
  constructor(readonly jobId: string) {
    super(`no job with id "${jobId}"`);
  }
}
