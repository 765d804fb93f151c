// Public API of the crosswalk npm package (hand-written; the unified model types in
// ./models.d.ts are generated from the Rust core and checked by its tests).
import type { ErrorCode, IssueCode, ProviderName, UnifiedModels, WarningCode } from './models.js';
export * from './models.js';

export type Model = keyof UnifiedModels;
export type ResourceOf<M extends Model> = keyof UnifiedModels[M] & string;
type Part<M extends Model, R extends ResourceOf<M>, K extends 'body' | 'filters' | 'record'> =
  UnifiedModels[M][R] extends { body: unknown; filters: unknown; record: unknown } ? UnifiedModels[M][R][K] : never;

export interface Account {
  id?: string;
  provider: ProviderName | (string & {});
  /** Secrets: only ever sent in the provider's auth header; redacted everywhere else. */
  credentials?: Record<string, unknown>;
  /** Replaces scheme, host and port of the provider API (tests, self-hosted). */
  base_url?: string;
  /** Non-secret settings: company_id, subdomain, instance_url, region… */
  context?: Record<string, unknown>;
  /** Replaces scheme, host and port of the provider's OAuth endpoints (tests, self-hosted identity servers). */
  auth_base_url?: string;
  /** The OAuth client that renews this account's tokens (else `oauthApps[provider]`). */
  oauth_app?: OAuthApp;
}

/**
 * OAuth credentials of an account: `access_token`, `refresh_token`, `expires_at`
 * (ISO 8601). A token expiring within five minutes is renewed before a request; a
 * 401 leads to one renewal and one resend; a refused renewal is `reauth_required`.
 */
export interface OAuthCredentials {
  access_token?: string;
  refresh_token?: string;
  expires_at?: string;
  [name: string]: unknown;
}

export interface OAuthApp {
  client_id?: string;
  clientId?: string;
  client_secret?: string;
  clientSecret?: string;
  /** Replaces the provider's default scopes (a string as sent, or a list). */
  scopes?: string | string[];
}

/** What a renewal or a code exchange produced: store both maps as the account's. */
export interface RenewedCredentials {
  credentials: OAuthCredentials;
  context: Record<string, unknown>;
}

export interface RetryOptions {
  /** Total tries of one request, the first included (default 4). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited for (default 120000). */
  maxRetryAfterMs?: number;
}

export interface ClientOptions {
  accounts: Account[] | ((id: string) => Account | undefined | Promise<Account | undefined>);
  fetch?: typeof fetch;
  retry?: RetryOptions;
  /** Default true: unsupported fields are errors; false turns them into warnings. */
  strict?: boolean;
  /** One attempt's timeout (default 30000 ms), never past the operation's deadline. */
  timeoutMs?: number;
  /**
   * Total time of one operation — or of one page of a list — attempts, sleeps and
   * retries included (default 60000 ms). A retry or Retry-After wait that would end
   * later is not started; an attempt cut off by it is `deadline_exceeded` (504).
   */
  deadlineMs?: number;
  /**
   * Secret that signs every `next_cursor` (HMAC-SHA256 over the cursor and the
   * account id); a cursor that was changed, or issued for another account or
   * key, is refused with `invalid_cursor`. Without it cursors are not authenticated.
   */
  cursorKey?: string;
  /** A provider answer larger than this is refused with `response_too_large` (502), never truncated (default 32 MiB). */
  maxResponseBytes?: number;
  /** Injected for tests: sleep and clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Observe each provider request (URL with secrets redacted). */
  onRequest?: (info: { method: string; url: string }) => void;
  /** The OAuth app per provider (`{ client_id, client_secret, scopes? }`); an account's `oauth_app` wins. */
  oauthApps?: Partial<Record<ProviderName | (string & {}), OAuthApp>>;
  /**
   * Called with renewed tokens, and awaited before the operation goes on: persist
   * them here (a rotated refresh token replaces the old one, which the provider
   * then refuses). Concurrent operations on one account share one renewal, so this
   * runs once per renewal.
   */
  onCredentials?: (accountId: string, renewed: RenewedCredentials) => void | Promise<void>;
  /**
   * Delegates renewals to your own token authority (one per account across
   * processes, as the Worker's Durable Object): given the account and the
   * credentials the operation holds, resolve with credentials that are newer.
   */
  tokenAuthority?: (request: { accountId: string; provider: string; stale: OAuthCredentials }) => Promise<RenewedCredentials>;
}

export interface UnifiedQuery {
  integrated_account_id: string;
  truto_response_format?: 'unified' | 'normalized' | 'raw';
  truto_ignore_remote_data?: boolean;
  truto_exclude_fields?: string[] | string;
  truto_key_by?: string;
  truto_ignore_limit?: boolean;
  remote_query?: Record<string, unknown>;
  limit?: number;
  next_cursor?: string;
  /** Stop a list after this many provider pages (next_cursor continues). */
  max_pages?: number;
  strict?: boolean;
  [filter: string]: unknown;
}

export interface CallOptions {
  /**
   * Sent in the provider's own idempotency header when it has one
   * (`providers()[].idempotency_header`); only then is a write re-sent after a
   * 5xx or a lost response. Elsewhere such a write is never re-sent and fails
   * with code `write_outcome_unknown`.
   */
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** Overrides the client's `deadlineMs` for this call. */
  deadlineMs?: number;
}

export interface Warning {
  field: string;
  code: WarningCode;
  message: string;
}

export interface ListPage<T> {
  result: T[] | Record<string, T>;
  next_cursor: string | null;
  result_count: number;
  warnings?: Warning[];
}

/** Async iterable over every record of every page; `await` gives the first page. */
export interface ListCursor<T> extends AsyncIterable<T>, PromiseLike<ListPage<T>> {
  pages(): AsyncIterable<ListPage<T>>;
  toArray(): Promise<T[]>;
  page(): Promise<ListPage<T>>;
}

type WithWarnings<T> = T & { warnings?: Warning[] };

export interface UnifiedApi {
  create<M extends Model, R extends ResourceOf<M>>(model: M, resource: R, body: Part<M, R, 'body'>, query: UnifiedQuery, options?: CallOptions): Promise<WithWarnings<Part<M, R, 'record'>>>;
  get<M extends Model, R extends ResourceOf<M>>(model: M, resource: R, id: string, query: UnifiedQuery, options?: CallOptions): Promise<WithWarnings<Part<M, R, 'record'>>>;
  update<M extends Model, R extends ResourceOf<M>>(model: M, resource: R, id: string, body: Part<M, R, 'body'>, query: UnifiedQuery, options?: CallOptions): Promise<WithWarnings<Part<M, R, 'record'>>>;
  delete<M extends Model, R extends ResourceOf<M>>(model: M, resource: R, id: string, query: UnifiedQuery, options?: CallOptions): Promise<unknown>;
  list<M extends Model, R extends ResourceOf<M>>(model: M, resource: R, query: UnifiedQuery & Part<M, R, 'filters'>, options?: CallOptions): ListCursor<Part<M, R, 'record'>>;
}

/** Saved throttle-budget usage: pass a report's `budget` back as `options.budget`. */
export interface SyncBudgetState {
  version: 1;
  /** 00:00 UTC of the day `requests_today` counts. */
  day_start_ms: number;
  requests_today: number;
  /** `[sent_at_ms, records]` of the last 60 seconds. */
  minute: Array<[number, number]>;
}

export interface SyncOptions extends CallOptions {
  /** Usage saved from an earlier report (object or its JSON text). Share one per provider API application. */
  budget?: SyncBudgetState | string | null;
  /** Overrides the provider's documented limits (LinkedIn: 100,000 requests/UTC day, 10,000 records/minute). */
  limits?: { requestsPerDay: number; recordsPerMinute: number } | { requests_per_day: number; records_per_minute: number };
  /** Default true. false: never sleep for the budget or a 429; stop with `retry_at` instead. */
  wait?: boolean;
  /** Longest single wait for the budget or a 429 (default 60000 ms); a longer one stops the sync. */
  maxWaitMs?: number;
}

/** One line of a sync report: the record's position in the input and its keys. */
export interface SyncLine {
  index: number;
  id: string | null;
  application_id: string | null;
}

export interface SyncFailure extends SyncLine {
  /** HTTP status the provider gave this record (its entity status, or the batch's). */
  status: number | null;
  code: 'remote_error' | 'protocol_error' | 'network_error' | 'missing_from_response' | 'aborted_in_flight';
  message: string | null;
  /** The provider's own error code (`code` or `serviceErrorCode`). */
  provider_code: string | number | null;
  /** Whether sending the record again may succeed (429, 5xx, no answer). */
  retryable: boolean;
  remote: unknown;
}

export type SyncNotSent = SyncLine &
  (
    | { reason: 'validation'; issues: ErrorDetail[] }
    | { reason: 'budget_exhausted'; window: SyncWindow; retry_at_ms: number; retry_at: string }
    | { reason: 'aborted' }
  );

export type SyncWindow = 'requests_per_day' | 'records_per_minute' | 'provider_429';

export interface SyncReport {
  object: 'sync_report';
  provider: string;
  model: string;
  resource: string;
  total: number;
  /** synced + failed + not_sent === total; each record is in exactly one list. */
  counts: { synced: number; failed: number; not_sent: number };
  complete: boolean;
  synced: Array<SyncLine & { status: number }>;
  failed: SyncFailure[];
  not_sent: SyncNotSent[];
  stopped:
    | null
    | { reason: 'budget_exhausted'; window: SyncWindow; retry_at_ms: number; retry_at: string }
    | { reason: 'aborted'; error: ErrorBody | { code: 'aborted'; message: string } };
  /** Provider requests made by this run. */
  requests: number;
  /** Save this and pass it as `options.budget` to the next run. */
  budget: SyncBudgetState;
  warnings?: Warning[];
}

export interface Client {
  unifiedApi: UnifiedApi;
  /**
   * Bulk sync: validates every record, groups them per application in your order,
   * sends batches of at most 100 within the provider's throttle budget, and reports
   * every record as synced, failed or not_sent. Supported: LinkedIn `ats`/`activities`
   * (application notes; each record needs `application_id`, `id`, `body`).
   */
  sync<M extends Model, R extends ResourceOf<M>>(model: M, resource: R, records: Iterable<Part<M, R, 'body'>>, query: UnifiedQuery, options?: SyncOptions): Promise<SyncReport>;
  /**
   * The provider's own API through the account's origin, auth, retries and
   * deadline. Resolves with the provider's answer for any status; rejects with a
   * CrosswalkError when crosswalk refuses the request (validation_failed, with
   * `passthrough.*` paths) or gets no answer.
   */
  passthrough(request: PassthroughRequest, options: PassthroughOptions): Promise<PassthroughResponse>;
  /** The connect flow (authorization code with PKCE) and renewals on demand. */
  oauth: {
    /** Where to send the user to connect an account; `state` comes back to your callback. */
    authorizeUrl(request: { provider: ProviderName | (string & {}); redirectUri: string; state: string; codeChallenge?: string; context?: Record<string, unknown>; authBaseUrl?: string; oauthApp?: OAuthApp }): string;
    /** Exchanges the callback's code; store what it resolves with as the account's credentials and context. */
    exchangeCode(request: { provider: ProviderName | (string & {}); code: string; redirectUri: string; codeVerifier?: string; context?: Record<string, unknown>; authBaseUrl?: string; oauthApp?: OAuthApp; signal?: AbortSignal }): Promise<RenewedCredentials>;
    /** Renews the account's token if it expires within five minutes (`force`: now); `onCredentials` sees new ones. */
    refresh(integratedAccountId: string, options?: { force?: boolean; signal?: AbortSignal }): Promise<RenewedCredentials>;
  };
}

export interface PassthroughRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path on the provider's API (`/crm/v3/objects/contacts`): no scheme or host, no `.`/`..` segments. */
  path: string;
  /** Sent sorted by name; an array repeats the name in its order. */
  query?: Record<string, string | number | boolean | Array<string | number | boolean>>;
  /** Extra headers; auth, cookies and hop-by-hop headers are refused. */
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
}

export interface PassthroughOptions extends Omit<CallOptions, 'idempotencyKey'> {
  integrated_account_id: string;
}

export interface PassthroughResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON, or the text when the body is not JSON (null when empty). */
  body: unknown;
}

export function createClient(options: ClientOptions): Client;

export interface ErrorDetail {
  field?: string;
  code: IssueCode | string;
  message: string;
  meta?: Record<string, unknown>;
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  code: ErrorCode;
  message: string;
  details: ErrorDetail[];
  truto_is_remote_error?: true;
  remote?: { provider: string; status: number; message: string | null; body: unknown };
  [extra: string]: unknown;
}

export class CrosswalkError extends Error {
  constructor(body: ErrorBody);
  statusCode: number;
  error: string;
  code: ErrorCode;
  details: ErrorDetail[];
  truto_is_remote_error?: true;
  remote?: ErrorBody['remote'];
  /** The provider's Retry-After on the 429/503 that ended the operation, as sent. */
  retryAfter?: string;
  toJSON(): ErrorBody;
}

export interface PlannedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
  multipart?: Array<{ name: string; value?: string; file?: string; filename?: string; content_type?: string }>;
}

export interface PlanInput {
  account: Account;
  model: string;
  resource: string;
  method: 'create' | 'list' | 'get' | 'update' | 'delete';
  id?: string;
  body?: unknown;
  query?: Partial<UnifiedQuery>;
}

export function plan(input: PlanInput | { account: Account; passthrough: PassthroughRequest }): { requests: PlannedRequest[]; wait?: { until_ms: number; reason: string }; result?: unknown };

export function validate(input: Omit<PlanInput, 'account'> & { provider: string }): { valid: boolean; errors: ErrorDetail[]; warnings: Warning[] };

/**
 * The core's account rules (what `createClient` and the Worker's `POST /integrated-accounts` check before an
 * account is used): shape, known provider, no control characters in credentials or context, the provider's host
 * rule for context values (subdomain, instance URL…), `base_url`, required credentials. Paths are relative to the
 * account (`credentials.api_key`, `context.subdomain`, `base_url`, `provider`); messages never quote a value.
 */
export function validateAccount(account: Account | unknown): { valid: boolean; errors: ErrorDetail[] };

export interface CoverageCell {
  supported: boolean;
  required?: boolean;
  maps_to?: string;
  applied_by?: 'provider' | 'crosswalk';
  allowed?: string[];
  rules?: Array<Record<string, unknown>>;
}

export interface MethodCoverage {
  providers: string[];
  request: Record<string, Record<string, CoverageCell>>;
  response: Record<string, Record<string, CoverageCell>>;
  notes: Record<string, string>;
}

export function coverage(): Record<string, Record<string, Record<string, MethodCoverage>>>;

/** A Request's or Response's body as bytes, at most `limit` (else throws `tooLarge()`), by Content-Length and by bytes read. */
export function readBytesCapped(message: { headers: Headers; body: ReadableStream<Uint8Array> | null }, limit: number, tooLarge: () => Error, options?: { cancelUnread?: boolean }): Promise<Uint8Array>;

export function providers(): Array<{ name: string; label: string; docs: string; hosts: string[]; /** The header the provider de-duplicates keyed writes by; `null`: a write that may have been applied is never re-sent. */ idempotency_header: string | null; /** How accounts get and renew OAuth tokens (`null`: static credentials only). */ oauth: { authorize_url: string | null; token_url: string; hosts: string[]; grants: Array<'authorization_code' | 'client_credentials' | 'refresh_token'>; client_auth: 'basic' | 'body'; pkce: boolean; scopes: string[]; scope_separator: string; notes: string } | null; resources: Array<{ model: string; resource: string; methods: string[] }> }>;

export function schema(model: string, resource: string): unknown;

export function parseQuery(queryString: string): Record<string, unknown>;

export const SANDBOX_ORIGIN: string;
export const sandbox: { origin: string; reset(): void };
