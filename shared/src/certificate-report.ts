/**
 * The topic a device reports its certificate rotation on: `{prefix}/{thing}/certificate`, inside
 * the thing's own grant. Not a TopicKind: it is no data for the lake, but a control message the
 * rotation handler (the cloud's Lambda via an IoT rule, or the local stack) acts on, proving the
 * sender's certificate with `principal()`.
 */
export const CERTIFICATE_REPORT_KIND = 'certificate';

export function certificateReportTopic(topicPrefix: string, thingName: string): string {
  return `${topicPrefix}/${thingName}/${CERTIFICATE_REPORT_KIND}`;
}

/** Whether `topic` is a rotation report under `topicPrefix` (any thing). */
export function isCertificateReportTopic(topic: string, topicPrefix: string): boolean {
  if (!topic.startsWith(`${topicPrefix}/`)) return false;
  const levels = topic.slice(topicPrefix.length + 1).split('/');
  return levels.length === 2 && levels[1] === CERTIFICATE_REPORT_KIND;
}
