/**
 * The transformation Lambda's NODE_OPTIONS: a young generation large enough to hold one
 * invocation's answers. An event of ~1 MB at one reading per record is some 2,000 records whose
 * answers (rows, base64, answer objects) all live until the response is returned; with V8's
 * default 16 MB semi-space nearly all of them outlived two scavenges and were copied into the old
 * generation (95 % promotion in --trace-gc-nvp), and garbage collection was half the CPU time.
 * With 32 MB they die young: the transform took half the CPU time in bench/firehose-transform.ts
 * (64 MB gave a few per cent more, for twice the memory reserved). At most 3 × 32 MB of the
 * function's 512 MB. Infra sets it; the bench runs this checkout's transform with it, as deployed.
 */
export const FIREHOSE_TRANSFORM_NODE_OPTIONS = '--max-semi-space-size=32';
