/** Thrown when a message does not match its v1 contract; `problems` names every failing field. */
export class ContractValidationError extends Error {
  override readonly name = 'ContractValidationError';
  constructor(
    readonly contract: string,
    readonly problems: readonly string[],
  ) {
    super(`${contract} is invalid: ${problems.join('; ')}`);
  }
}

/** Thrown when a topic cannot be built or parsed under our topic layout. */
export class TopicError extends Error {
  override readonly name = 'TopicError';
}
