/**
 * `oidc-session-transfer`: Native-to-Web SSO for node-oidc-provider. Start with
 * {@link sessionTransfer}; every option is in {@link SessionTransferSettings}.
 * @module oidc-session-transfer
 */
export { sessionTransfer, SessionTransfer, type ExpressLike, type TransferConfirmation } from './session-transfer.js';
export {
  AUTH0_ROUTES,
  defaults,
  DELEGATION_AMR,
  ID_TOKEN_TYPE,
  REFRESH_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT,
  TOKEN_PARAM,
  TRANSFER_AMR,
  type DelegationOptions,
  type DelegationSubjectContext,
  type DelegationSubjectResolver,
  type NativeSsoOptions,
  type RefreshTokenMetadataContext,
  type RefreshTokenMetadataHook,
  type RegistrationPolicy,
  type ResolvedDelegation,
  type ResolvedOptions,
  type SessionTransferOptions,
  type SessionTransferSettings,
  type TokenStorageOption,
} from './options.js';
export {
  clientDefaults,
  type AuthenticationMethod,
  type ClientDelegation,
  type ClientSessionTransfer,
  type ClientSessionTransferInput,
  type DeviceBinding,
  type DeviceBindingMode,
} from './client-metadata.js';
export {
  ClientMetadataError,
  OptionsError,
  SessionTransferError,
  StoreUnavailableError,
  UsageError,
  type SessionTransferErrorCode,
} from './errors.js';
export type {
  ActorContext,
  CascadeFailedEvent,
  CascadeRevokedEvent,
  CascadeTrigger,
  DelegatedCodeExchangeEvent,
  IgnoredAudienceEvent,
  IgnoredEvent,
  IgnoredTokenEvent,
  IgnoredReason,
  IssuedEvent,
  IssueFailedEvent,
  IssueFailureReason,
  NativeSsoEvent,
  NativeSsoRefusal,
  RedeemedEvent,
  RejectedEvent,
  RejectionReason,
  RequestContext,
  SessionRevokedEvent,
  SessionTransferEvents,
  SessionTransferListener,
  WarningCode,
  WarningEvent,
} from './events.js';
export type { RedeemHook, RedeemHookContext, RedeemHookResult } from './redeem/hook.js';
export type { AsnInfo, AsnResolver } from './binding/asn.js';
export { MaxMindAsnResolver, type MaxMindAsnOptions } from './binding/maxmind-asn.js';
export type { ProxyTrust, TrustProxy } from './binding/trust-proxy.js';
export { AUTH0_WARNINGS } from './events.js';
export { redactUrl } from './redact.js';
export * from './web/index.js';
export { MemoryStore } from './store/memory-store.js';
export { RedisAdapter, redisAdapter, type RedisAdapterOptions } from './adapter/redis-adapter.js';
export { CONFIRMATION_REASON, FORCED_LOGIN_REASON } from './redeem/configuration.js';
export { STEP_UP_REASONS, type StepUpInteraction, type TransferStepUp } from './redeem/step-up.js';
export { RedisStore, type RedisClient, type RedisStoreOptions } from './store/redis-store.js';
export type { ReplicaAcks, ReplicaAcksOption, RedisTopology } from './store/replica-acks.js';
export type { StorageGuarantees } from './store/guarantees.js';
export type {
  AddChildResult, Child, Consumed, DeviceSession, DeviceSessionStore, SessionLineage, TransferredSession, TransferRecord, TransferStore,
} from './store/store.js';
export { ACCESS_TOKEN_TYPE } from './native-sso/exchange.js';
export { DEVICE_SECRET_TYPES } from './native-sso/device-credentials.js';
export { DEVICE_SSO_SCOPE } from './native-sso/device-secret.js';
export { INSTRUMENTS } from './telemetry/instruments.js';
export type { TelemetryOptions } from './telemetry/telemetry.js';
export type {
  InstrumentOptions, TelemetryAttributes, TelemetryMeter, TelemetryMeterProvider, TelemetrySpan, TelemetryTracer, TelemetryTracerProvider,
} from './telemetry/api.js';
