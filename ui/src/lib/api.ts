// Typed wrappers over the shell's commands (src-tauri/src/*.rs, one-line adapters over the
// switchboard-core workbench). Argument names are the commands' snake_case names in camelCase, as
// Tauri maps them. Every type that crosses is generated from Rust (lib/bindings, `make bindings`).
// Every failure is a UserError {code, message}.
import { invoke } from "@tauri-apps/api/core";
import type { AppView } from "./bindings/AppView";
import type { AutoPreview } from "./bindings/AutoPreview";
import type { AutoSettings } from "./bindings/AutoSettings";
import type { CallInput } from "./bindings/CallInput";
import type { ContactInfo } from "./bindings/ContactInfo";
import type { Direction } from "./bindings/Direction";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { FirstView } from "./bindings/FirstView";
import type { FlowView } from "./bindings/FlowView";
import type { ForgottenView } from "./bindings/ForgottenView";
import type { LogForm } from "./bindings/LogForm";
import type { LookupView } from "./bindings/LookupView";
import type { OAuthStartView } from "./bindings/OAuthStartView";
import type { SaveInput } from "./bindings/SaveInput";
import type { SearchView } from "./bindings/SearchView";
import type { PhoneInput } from "./bindings/PhoneInput";
import type { PhoneView } from "./bindings/PhoneView";
import type { ProfileEdit } from "./bindings/ProfileEdit";
import type { Recorded } from "./bindings/Recorded";
import type { SignIn } from "./bindings/SignIn";
import type { SignInView } from "./bindings/SignInView";
import type { UserError } from "./bindings/UserError";
import type { ReportFormat } from "./bindings/ReportFormat";
import type { ResendRequest } from "./bindings/ResendRequest";
import type { ResendView } from "./bindings/ResendView";
import type { SandboxNumber } from "./bindings/SandboxNumber";
import { tracked } from "./ops.svelte";

export function isUserError(e: unknown): e is UserError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** True when `e` is a UserError with this code. Branch on codes, never on message text. */
export function hasCode(e: unknown, code: ErrorCode): e is UserError {
  return isUserError(e) && e.code === code;
}

export function errorMessage(e: unknown): string {
  if (isUserError(e)) return e.message;
  return String(e);
}

export const api = {
  /** The engine's view; waits while the shell is still opening the profile at start-up. */
  appView: () => invoke<AppView>("app_view"),
  /** The first view with the manifest page's preview in the same answer (start-up: one command). */
  firstView: () => invoke<FirstView>("first_view"),
  /** Start-up timing for scripts/bench-startup.sh: `epochMs` is when the web view painted it. */
  startupMark: (name: string, epochMs: number) => invoke<void>("startup_mark", { name, epochMs }),
  openManifest: (source: string) =>
    tracked("Opening the manifest", "manifest", (op) => invoke<AppView>("open_manifest", { source, op })),
  selectPlatform: (name: string) => invoke<AppView>("select_platform", { name }),
  setServerUrl: (url: string) => invoke<AppView>("set_server_url", { url }),
  signIn: (input: SignIn) => tracked("Signing in", "signin", (op) => invoke<SignInView>("sign_in", { input, op })),
  signOut: () => tracked("Signing out", "signin", (op) => invoke<AppView>("sign_out", { op })),
  forgetLogin: () => invoke<AppView>("forget_login"),
  forgetEverything: () => invoke<ForgottenView>("forget_everything"),
  /** `port`: the loopback listener's port (the CRM checks the registered redirect URI); null = any free one. */
  oauthStart: (loopback: boolean, hostname: string | null, port: number | null) =>
    invoke<OAuthStartView>("oauth_start", { loopback, hostname, port }),
  oauthPaste: (url: string) =>
    tracked("Finishing the sign-in", "signin", (op) => invoke<SignInView>("oauth_paste", { url, op })),
  oauthCancel: () => invoke<void>("oauth_cancel"),
  profileCreate: (name: string, copyCurrent: boolean) => invoke<AppView>("profile_create", { name, copyCurrent }),
  profileDuplicate: (id: string) => invoke<AppView>("profile_duplicate", { id }),
  profileSwitch: (id: string) => invoke<AppView>("profile_switch", { id }),
  profileDelete: (id: string) => invoke<AppView>("profile_delete", { id }),
  profileUpdate: (id: string, edit: ProfileEdit) => invoke<AppView>("profile_update", { id, edit }),
  /** With `choose`, the shell opens the save dialog itself; null when it was cancelled. */
  exportReport: (choose: boolean, format: ReportFormat) => invoke<string | null>("export_report", { choose, format }),
  parsePhone: (phone: PhoneInput) => invoke<PhoneView>("parse_phone", { phone }),
  findContact: (phone: PhoneInput) =>
    tracked("Looking up", "lookup", (op) => invoke<LookupView>("find_contact", { phone, op })),
  /** The client's "Search contacts" row: GET /custom/contact/search?name= */
  searchContacts: (name: string) =>
    tracked("Searching contacts", "lookup", (op) => invoke<SearchView>("search_contacts", { name, op })),
  sandboxNumbers: () => invoke<SandboxNumber[]>("sandbox_numbers"),
  autoPreview: (phone: PhoneInput, prefix: string, callerName: string | null) =>
    invoke<AutoPreview>("auto_preview", { phone, prefix, callerName }),
  flowStart: (phone: PhoneInput) =>
    tracked("Looking up (flow)", "flow", (op) => invoke<FlowView>("flow_start", { phone, op })),
  /** The log form's one Save with the create row chosen: create, then log (extension 1.6.6). */
  flowSave: (save: SaveInput) => tracked("Saving the call log", "flow", (op) => invoke<FlowView>("flow_save", { save, op })),
  flowVerify: () => tracked("Verifying", "flow", (op) => invoke<FlowView>("flow_verify", { op })),
  flowAuto: (phone: PhoneInput, settings: AutoSettings, call: CallInput) =>
    tracked("Simulating the call", "flow", (op) => invoke<FlowView>("flow_auto", { phone, settings, call, op })),
  previewLogForm: (selected: string | null, direction: Direction) =>
    invoke<LogForm>("preview_log_form", { selected, direction }),
  logForm: (contacts: ContactInfo[], selected: string | null, direction: Direction) =>
    invoke<LogForm>("log_form", { contacts, selected, direction }),
  history: () => invoke<Recorded[]>("history"),
  clearHistory: () => invoke<void>("clear_history"),
  resend: (request: ResendRequest) =>
    tracked("Resending", "inspector", (op) => invoke<ResendView>("resend", { request, op })),
};
