import { type FaceAttributes, UNKNOWN_FACE_ATTRIBUTES } from '@coffee-iot/shared';
import type { FaceAnalysis, FaceAnalyzer, PhotoLocation } from '../analysis/face-analyzer.js';

export const FAKE_ANALYZER_NAME = 'fake';

/** A photo in which the analyzer looked and found nobody: every attribute unknown. */
export function noFaceAnalysis(analyzer = FAKE_ANALYZER_NAME): FaceAnalysis {
  return { ...UNKNOWN_FACE_ATTRIBUTES, personPresent: false, faceCount: 0, analyzer, faceDetails: [] };
}

/**
 * A full FaceAnalysis from the attributes a test cares about: one face is present, everything
 * not given is unknown (null), never made up.
 */
export function faceAnalysis(
  attributes: Partial<FaceAttributes> = {},
  analyzer = FAKE_ANALYZER_NAME,
): FaceAnalysis {
  return {
    ...UNKNOWN_FACE_ATTRIBUTES,
    personPresent: true,
    faceCount: 1,
    ...attributes,
    analyzer,
    faceDetails: [],
  };
}

type Outcome = { result: FaceAnalysis } | { error: Error };

/**
 * The FaceAnalyzer for pipeline tests, benchmarks and anything without Rekognition: answers
 * queued outcomes in order (results or errors, mixed as queued), then the default result. Throw
 * the port's own errors (UnanalyzablePhotoError, AnalyzerUnavailableError) to act like the real
 * adapter. Every call is recorded, failed ones too.
 */
export class FakeFaceAnalyzer implements FaceAnalyzer {
  readonly name: string;
  /** Every photo asked about, in order. */
  readonly calls: PhotoLocation[] = [];
  /** What `analyze` answers once the queue is empty. */
  defaultResult: FaceAnalysis;
  private readonly queue: Outcome[] = [];

  constructor(options: { name?: string; defaultResult?: FaceAnalysis } = {}) {
    this.name = options.name ?? FAKE_ANALYZER_NAME;
    this.defaultResult = options.defaultResult ?? noFaceAnalysis(this.name);
  }

  /** The next call answers `result`. */
  willReturn(result: FaceAnalysis): this {
    this.queue.push({ result });
    return this;
  }

  /** The next call throws `error`. */
  willThrow(error: Error): this {
    this.queue.push({ error });
    return this;
  }

  /** Outcomes queued and not yet used. */
  get pending(): number {
    return this.queue.length;
  }

  async analyze(photo: PhotoLocation): Promise<FaceAnalysis> {
    this.calls.push({ ...photo });
    const outcome = this.queue.shift() ?? { result: this.defaultResult };
    if ('error' in outcome) throw outcome.error;
    // A copy, as a real analyzer builds a new answer each time: callers may not share state.
    return structuredClone(outcome.result);
  }
}
