/**
 * Why the broker refused a connection or closed one for breaking the protocol or the limits, as a counter
 * label. Publishes that are acknowledged and dropped (bad payloads) are counted by ingest instead.
 */
export const REJECT_REASONS = [
  "bad-credentials",
  "anonymous",
  "empty-client-id",
  "unsupported-protocol",
  "packet-too-large",
  "wildcard-topic",
  "topic-too-deep",
  "topic-denied",
  "too-many-inflight",
  "malformed-packet",
  "connect-timeout",
  "other",
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

const PATTERNS: Array<[RegExp, RejectReason]> = [
  [/unsupported protocol|protocol version/i, "unsupported-protocol"],
  [/is not allowed in PUBLISH/i, "wildcard-topic"],
  [/too many levels/i, "topic-too-deep"],
  [/maxInflightInbound/i, "too-many-inflight"],
  [/publishing to .* is not allowed|publisher unknown/i, "topic-denied"],
  [/connect.*timeout|keep ?alive timeout/i, "connect-timeout"],
  [/packet too large/i, "packet-too-large"],
  [
    /invalid|malformed|cannot parse|not supported|unknown command|header flag|protocol id/i,
    "malformed-packet",
  ],
];

/** Classifies the error aedes reports (clientError / connectionError) by its message. */
export function classifyClientError(message: string): RejectReason | null {
  if (/ECONNRESET|EPIPE|write after end|socket hang up/i.test(message)) return null; // the peer went away
  for (const [re, reason] of PATTERNS) if (re.test(message)) return reason;
  return "other";
}
