/**
 * Every OpenTelemetry instrument the library records, named after OpenTelemetry's semantic
 * conventions (dotted lowercase names, UCUM units, `error.type` for why an operation failed).
 * Store calls are timed on spans, not here: a histogram record per call cost each mint and redeem
 * about a third of their instrumentation. The instrument table of docs/telemetry.md is checked
 * against this list.
 * @category Telemetry
 */
export const INSTRUMENTS = {
  issued: {
    name: 'session_transfer.tokens.issued', kind: 'counter', unit: '{token}',
    description: 'Session Transfer Tokens minted.',
    attributes: ['session_transfer.client.id', 'session_transfer.form'],
  },
  issueFailures: {
    name: 'session_transfer.issue.failures', kind: 'counter', unit: '{request}',
    description: 'Mints refused, by reason.',
    attributes: ['session_transfer.client.id', 'error.type'],
  },
  redeemed: {
    name: 'session_transfer.tokens.redeemed', kind: 'counter', unit: '{token}',
    description: 'Tokens that signed a browser in (or await confirmation), by outcome and transport.',
    attributes: ['session_transfer.client.id', 'session_transfer.transport', 'session_transfer.outcome'],
  },
  rejected: {
    name: 'session_transfer.tokens.rejected', kind: 'counter', unit: '{token}',
    description: 'Presented tokens refused, by reason; `log_only` binding mismatches are counted with session_transfer.log_only=true and did not refuse.',
    attributes: ['session_transfer.client.id', 'session_transfer.transport', 'error.type', 'session_transfer.log_only'],
  },
  ignored: {
    name: 'session_transfer.tokens.ignored', kind: 'counter', unit: '{token}',
    description: 'Tokens that arrived and were left unused, by reason.',
    attributes: ['session_transfer.client.id', 'session_transfer.transport', 'session_transfer.ignored.reason'],
  },
  sessionsRevoked: {
    name: 'session_transfer.sessions.revoked', kind: 'counter', unit: '{session}',
    description: 'Browser sessions ended by the library, by reason.',
    attributes: ['session_transfer.revocation.reason'],
  },
  cascades: {
    name: 'session_transfer.cascades', kind: 'counter', unit: '{cascade}',
    description: 'Cascades run for ended parent grants, by trigger and outcome (a failed attempt that is retried counts once per attempt).',
    attributes: ['session_transfer.cascade.trigger', 'session_transfer.cascade.outcome'],
  },
  mintDuration: {
    name: 'session_transfer.mint.duration', kind: 'histogram', unit: 's',
    description: 'Time to handle a mint request, from the token endpoint handing it over to the answer.',
    attributes: ['session_transfer.client.id', 'error.type'],
  },
  redeemDuration: {
    name: 'session_transfer.redeem.duration', kind: 'histogram', unit: 's',
    description: 'Time the library spends on a presented token inside the authorization request.',
    attributes: ['session_transfer.client.id', 'session_transfer.transport', 'error.type'],
  },
} as const;
