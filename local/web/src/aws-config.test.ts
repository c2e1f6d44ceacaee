import { describe, expect, it } from 'vitest';
import { DashboardRequestError, type Fetcher } from './api-client.js';
import { type AwsConfig, AwsConfigError, apiUrlFor, loadAwsConfig, parseAwsConfig } from './aws-config.js';

const ORIGIN = 'https://d111111abcdef8.cloudfront.net';

/** config.json as infra/src/constructs/dashboard.ts writes it. */
const DEPLOYED = {
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_AbCdEf123',
  userPoolClientId: '1example23456789abcdefghij',
  authUrl: 'https://coffee-dashboard.auth.eu-west-1.amazoncognito.com',
  redirectUri: `${ORIGIN}/`,
  apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
};

function problemsOf(value: unknown): readonly string[] {
  try {
    parseAwsConfig(value, ORIGIN);
  } catch (error) {
    if (error instanceof AwsConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected AwsConfigError');
}

describe('parseAwsConfig', () => {
  it('takes the config.json the deploy writes', () => {
    expect(parseAwsConfig(DEPLOYED, ORIGIN)).toEqual(DEPLOYED);
  });

  it('drops trailing slashes from the sign-in and API URLs but keeps the redirect URI exactly', () => {
    const config = parseAwsConfig(
      { ...DEPLOYED, authUrl: `${DEPLOYED.authUrl}/`, apiUrl: `${DEPLOYED.apiUrl}/prod/` },
      ORIGIN,
    );
    expect(config.authUrl).toBe(DEPLOYED.authUrl);
    expect(config.apiUrl).toBe(`${DEPLOYED.apiUrl}/prod`);
    expect(config.redirectUri).toBe(`${ORIGIN}/`);
  });

  it('names every bad field at once, with what it expected and what it got', () => {
    const problems = problemsOf({
      region: 'Europe',
      userPoolId: 'pool',
      userPoolClientId: '',
      authUrl: 'http://coffee.auth.eu-west-1.amazoncognito.com',
      redirectUri: 42,
    });
    expect(problems).toEqual([
      'region must be an AWS region such as eu-west-1, got "Europe"',
      'userPoolId must be a user pool id such as eu-west-1_AbCdEf123, got "pool"',
      'userPoolClientId must be an app client id (letters and digits), got ""',
      expect.stringMatching(/^authUrl must be an https:\/\/ origin with no path.*got "http:\/\/coffee/),
      expect.stringMatching(/^redirectUri must be an https:\/\/ URL .*got 42$/),
      expect.stringMatching(/^apiUrl must be an https:\/\/ URL .*got nothing$/),
    ]);
  });

  it('refuses a sign-in URL with a path, and URLs with a query or fragment', () => {
    expect(problemsOf({ ...DEPLOYED, authUrl: `${DEPLOYED.authUrl}/login` })).toEqual([
      expect.stringMatching(/^authUrl /),
    ]);
    expect(
      problemsOf({ ...DEPLOYED, apiUrl: `${DEPLOYED.apiUrl}?stage=1`, redirectUri: `${ORIGIN}/#x` }),
    ).toEqual([expect.stringMatching(/^redirectUri /), expect.stringMatching(/^apiUrl /)]);
  });

  it('catches a user pool from another region', () => {
    expect(problemsOf({ ...DEPLOYED, userPoolId: 'us-east-1_AbCdEf123' })).toEqual([
      'userPoolId "us-east-1_AbCdEf123" belongs to us-east-1, not to region eu-west-1',
    ]);
  });

  it('catches a redirect URI that is not on the page’s origin, which Cognito would send the browser to', () => {
    expect(problemsOf({ ...DEPLOYED, redirectUri: 'https://dashboard.example.com/' })).toEqual([
      expect.stringContaining(`redirectUri must be on this page's origin ${ORIGIN}`),
    ]);
  });

  it.each([null, [], 'config', 3])('refuses %j as a whole', (value) => {
    expect(problemsOf(value)).toEqual(['it must be a JSON object']);
  });

  it('says what is wrong in its message', () => {
    expect(() => parseAwsConfig({ ...DEPLOYED, region: '' }, ORIGIN)).toThrow(
      /^\/config\.json is not usable: region must be/,
    );
  });
});

describe('loadAwsConfig', () => {
  const answering =
    (status: number, body: string): Fetcher =>
    async () =>
      // A 204 has no body at all (Response refuses even an empty one).
      new Response(status === 204 ? null : body, { status });

  it('is null when the server has no /config.json: the local stack', async () => {
    expect(await loadAwsConfig(answering(404, 'not found'), ORIGIN)).toBeNull();
  });

  it("is null when the server answers 204 for it: the local dashboard's way of saying none", async () => {
    expect(await loadAwsConfig(answering(204, ''), ORIGIN)).toBeNull();
  });

  it('asks for /config.json, revalidating it, and checks what it gets', async () => {
    const asked: { url: string; init?: RequestInit }[] = [];
    const fetcher: Fetcher = async (url, init) => {
      asked.push({ url, init });
      return new Response(JSON.stringify(DEPLOYED), { status: 200 });
    };
    const config: AwsConfig | null = await loadAwsConfig(fetcher, ORIGIN);
    expect(config).toEqual(DEPLOYED);
    expect(asked).toEqual([{ url: '/config.json', init: expect.objectContaining({ cache: 'no-cache' }) }]);
  });

  it('fails, rather than falling back to local mode, on any other error status', async () => {
    const failure = loadAwsConfig(answering(403, '<Error><Code>AccessDenied</Code></Error>'), ORIGIN);
    await expect(failure).rejects.toBeInstanceOf(DashboardRequestError);
    await expect(failure).rejects.toThrow(/^could not load \/config\.json: /);
  });

  it('fails naming the problem when the file is not JSON', async () => {
    await expect(loadAwsConfig(answering(200, '<html>'), ORIGIN)).rejects.toThrow(
      /^\/config\.json is not usable: it is not JSON/,
    );
  });

  it('fails naming the fields when the JSON is not a config', async () => {
    await expect(loadAwsConfig(answering(200, '{"region":"eu-west-1"}'), ORIGIN)).rejects.toThrow(
      /userPoolId must be/,
    );
  });
});

describe('apiUrlFor', () => {
  it('puts a path, such as a snapshot photo URL, on the API', () => {
    expect(apiUrlFor(DEPLOYED, '/api/photos/photos/dev-1/a.jpg')).toBe(
      'https://abc123.execute-api.eu-west-1.amazonaws.com/api/photos/photos/dev-1/a.jpg',
    );
  });

  it.each(['https://elsewhere.example/api/snapshot', '//elsewhere.example/x', 'api/snapshot'])(
    'refuses %s, so the token never leaves for another host',
    (path) => {
      expect(() => apiUrlFor(DEPLOYED, path)).toThrow(/not a path on the API/);
    },
  );
});
