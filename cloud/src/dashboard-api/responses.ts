import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** JSON is never cached: the dashboard's data is live and behind a sign-in. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...headers,
    },
    body: JSON.stringify(body),
  };
}

export function errorResponse(
  statusCode: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return jsonResponse(statusCode, { error: message }, headers);
}

/** A temporary redirect to a short-lived link: never cached, or a cache could outlive the link. */
export function redirectResponse(
  location: string,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode: 302, headers: { Location: location, 'Cache-Control': 'no-store', ...headers } };
}
