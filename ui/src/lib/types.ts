// Mirrors of the Rust DTOs the shell sends (src-tauri/src/views.rs and switchboard-core).
// Never holds a secret: the shell returns none.

export type ErrorCode =
  | "ManifestInvalid"
  | "PhoneInvalid"
  | "ServerUnreachable"
  | "Timeout"
  | "Unauthorized"
  | "Rejected"
  | "BadResponse"
  | "KeychainUnavailable"
  | "NotSignedIn"
  | "FlowOrder"
  | "InvalidInput"
  | "Storage"
  | "Internal";

export interface UserError {
  code: ErrorCode;
  message: string;
}

export interface ReturnMessage {
  message?: string;
  messageType?: string;
  ttl?: number;
  details?: unknown;
}

export interface AdditionalField {
  const: string;
  title: string | null;
  type: string | null;
  contactDependent: boolean;
  contactTypeDependent: boolean;
  required: boolean;
  defaultValue: unknown;
  pattern: string | null;
  description: string | null;
  options: { const: unknown; title: string | null; description: string | null }[];
}

export interface LoginField {
  key: string;
  title: string;
  required: boolean;
  description: string | null;
  defaultValue: string | null;
  isButton: boolean;
  hidden: boolean;
}

export interface Environment {
  type: string | null;
  url: string | null;
  urlIdentifier: string | null;
  instructions: string[];
  selections: { const: string; name: string | null }[];
}

export interface PlatformView {
  name: string;
  displayName: string;
  authType: "apiKey" | "oauth" | "unknown";
  contactTypes: { display: string; value: string }[];
  loginPage: { title: string | null; warning: string | null; fields: LoginField[] } | null;
  environment: Environment | null;
  callLogFields: AdditionalField[];
  newContactFields: AdditionalField[];
}

export interface AppView {
  manifest: { source: string; version: string | null; serverUrl: string | null; platforms: string[] };
  platform: PlatformView;
  serverUrl: string;
  serverOverridden: boolean;
  sandboxUrl: string | null;
  session: { signedIn: boolean; userName: string | null };
  keychainProblem: string | null;
  profile: Profile;
  profiles: ProfileSummary[];
  stored: { session: boolean; loginFields: string[] };
  manifestProblem: string | null;
  oauthPending: string | null;
  keychainService: string;
}

export interface ParsedNumber {
  input: string;
  e164: string;
  valid: boolean;
  region: string | null;
  significant: string;
  isExtension: boolean;
}

export interface PhoneView {
  number: ParsedNumber;
  expansions: { format: string; result: string }[];
  overridingFormat: string;
}

export interface ContactInfo {
  id: string;
  name: string | null;
  type?: string;
  phone?: string;
  company?: string;
  additionalInfo: Record<string, unknown> | null;
  isNewContact?: boolean;
}

export interface FindContactResponse {
  successful: boolean;
  returnMessage?: ReturnMessage;
  contact: ContactInfo[];
}

export interface Lint {
  level: "error" | "warning";
  rule: string;
  at: string;
  message: string;
  why: string;
}

export interface Exchange {
  method: string;
  url: string;
  requestHeaders: [string, string][];
  requestBody: string | null;
  status: number | null;
  responseHeaders: [string, string][];
  responseBody: string | null;
  elapsedMs: number;
  refreshedToken: boolean;
  /** Present on history entries. */
  lints?: Lint[];
  /** The request as a redacted curl command; present on history entries. */
  curl?: string;
}

export interface LookupView {
  phone: PhoneView;
  response: FindContactResponse | null;
  error: UserError | null;
  returnMessage: ReturnMessage | null;
  exchange: Exchange;
  lints: Lint[];
}

export type Step = "lookup" | "create" | "log" | "verify";

export interface StepRecord {
  step: Step;
  ok: boolean;
  summary: string;
  returnMessage: ReturnMessage | null;
  exchanges: Exchange[];
}

export type FlowState =
  | { state: "ready" }
  | { state: "matched"; contacts: ContactInfo[] }
  | { state: "needsContact"; contacts: ContactInfo[] }
  | { state: "created"; contact: ContactInfo }
  | { state: "logged"; contact: ContactInfo; logId: string | null; sessionId: string }
  | {
      state: "verified";
      contact: ContactInfo;
      logId: string | null;
      sessionId: string;
      contactFound: boolean;
      logMatched: boolean;
    };

export interface FlowView {
  phone: PhoneView;
  flow: {
    number: ParsedNumber;
    overridingFormat: string;
    state: FlowState;
    contactType: string | null;
    steps: StepRecord[];
  };
  error: UserError | null;
}

export interface SignInView {
  userName: string | null;
  returnMessage: ReturnMessage | null;
}

export type Direction = "Inbound" | "Outbound";

export interface CallInput {
  direction: Direction;
  callerName: string | null;
  durationS: number;
  note: string;
  subject: string | null;
  startedMinutesAgo: number;
  additionalSubmission: Record<string, unknown>;
}

export interface PhoneInput {
  input: string;
  region: string | null;
  formats: string[];
}

export interface OptionItem {
  value: unknown;
  title: string;
}

export type FieldModel =
  | { kind: "selection"; key: string; title: string; required: boolean; options: OptionItem[]; source: "contact" | "manifest" | "accountData" }
  | { kind: "checkbox"; key: string; title: string; default: boolean }
  | { kind: "input"; key: string; title: string; required: boolean; pattern: string | null; description: string | null }
  | { kind: "warning"; key: string; title: string; text: string };

export interface LogForm {
  title: string;
  contacts: { id: string; title: string; subtitle: string | null; isCreateRow: boolean }[];
  selected: string | null;
  warning: string | null;
  newContact: { contactTypes: OptionItem[]; fields: FieldModel[] } | null;
  fields: FieldModel[];
  messageLogFields: FieldModel[];
  subject: string;
}

export interface Profile {
  id: string;
  name: string;
  colour: string;
  manifest: string;
  platform: string | null;
  serverUrl: string | null;
  hostname: string | null;
  region: string;
  formats: string[];
}

export interface ProfileSummary {
  id: string;
  name: string;
  colour: string;
}

export interface ProfileEdit {
  name?: string;
  colour?: string;
  region?: string;
  formats?: string[];
  hostname?: string;
}

export interface OAuthStartView {
  authorizeUrl: string;
  redirectUri: string;
  listening: boolean;
  browserError: string | null;
}

export interface OAuthFinished {
  userName: string | null;
  error: UserError | null;
}
