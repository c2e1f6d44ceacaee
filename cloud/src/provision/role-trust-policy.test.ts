import { describe, expect, it } from 'vitest';
import { trustVerdict } from './role-trust-policy.js';

const IOT = 'credentials.iot.amazonaws.com';

function policy(...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
const allowIot = { Effect: 'Allow', Principal: { Service: IOT }, Action: 'sts:AssumeRole' };

describe('trustVerdict', () => {
  it.each([
    ['the plain statement CDK writes', policy(allowIot)],
    ['the same, URL-encoded as GetRole answers it', encodeURIComponent(policy(allowIot))],
    ['one statement, not in a list', JSON.stringify({ Version: '2012-10-17', Statement: allowIot })],
    [
      'the provider among other services',
      policy({ ...allowIot, Principal: { Service: ['lambda.amazonaws.com', IOT] } }),
    ],
    ['an action wildcard', policy({ ...allowIot, Action: ['sts:TagSession', 'sts:Assume*'] })],
    ['an action in another case', policy({ ...allowIot, Action: 'STS:assumerole' })],
    ['any principal', policy({ ...allowIot, Principal: '*' })],
    [
      'NotAction that leaves AssumeRole in',
      policy({ ...allowIot, Action: undefined, NotAction: 'sts:TagSession' }),
    ],
    [
      'a condition (it narrows, and cannot be evaluated here)',
      policy({ ...allowIot, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } }),
    ],
    [
      'a Deny under a condition',
      policy(allowIot, {
        ...allowIot,
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ],
  ])('trusts %s', (_what, document) => {
    expect(trustVerdict(document, IOT)).toEqual({ trusted: true });
  });

  it.each([
    ['another service only', policy({ ...allowIot, Principal: { Service: 'lambda.amazonaws.com' } })],
    [
      'an account, not the service',
      policy({ ...allowIot, Principal: { AWS: 'arn:aws:iam::123456789012:root' } }),
    ],
    ['another STS action', policy({ ...allowIot, Action: 'sts:AssumeRoleWithWebIdentity' })],
    [
      'NotAction that takes AssumeRole out',
      policy({ ...allowIot, Action: undefined, NotAction: 'sts:Assume*' }),
    ],
    ['no statements', policy()],
  ])('does not trust %s: no statement allows it', (_what, document) => {
    expect(trustVerdict(document, IOT)).toEqual({ trusted: false, reason: 'no statement allows it' });
  });

  it('lets an unconditional Deny win over the Allow', () => {
    const deny = { Effect: 'Deny', Principal: '*', Action: '*' };
    expect(trustVerdict(policy(allowIot, deny), IOT)).toEqual({
      trusted: false,
      reason: 'a statement denies it',
    });
  });

  it.each([
    [undefined, 'GetRole answered without a trust policy'],
    ['', 'GetRole answered without a trust policy'],
    ['%7Bnot%20json', expect.stringMatching(/^its trust policy is not a JSON policy \(/)],
    ['[]', 'its trust policy is not a JSON policy (not a JSON object)'],
  ])('says when the document %j cannot be read', (document, detail) => {
    expect(trustVerdict(document, IOT)).toEqual({ trusted: false, reason: 'unreadable', detail });
  });
});
