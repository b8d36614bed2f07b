// Typed wrappers over the shell's commands. Every failure is a UserError {code, message}.
import { invoke } from "@tauri-apps/api/core";
import type {
  AppView,
  CallInput,
  ContactInfo,
  Direction,
  Exchange,
  LogForm,
  FlowView,
  LookupView,
  OAuthStartView,
  ProfileEdit,
  PhoneInput,
  PhoneView,
  SignInView,
  UserError,
} from "./types";

export function isUserError(e: unknown): e is UserError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export function errorMessage(e: unknown): string {
  if (isUserError(e)) return e.message;
  return String(e);
}

export const api = {
  appView: () => invoke<AppView>("app_view"),
  openManifest: (source: string) => invoke<AppView>("open_manifest", { source }),
  selectPlatform: (name: string) => invoke<AppView>("select_platform", { name }),
  setServerUrl: (url: string) => invoke<AppView>("set_server_url", { url }),
  signIn: (fields: [string, string][], hostname: string | null, remember: boolean) =>
    invoke<SignInView>("sign_in", { fields, hostname, remember }),
  signOut: () => invoke<AppView>("sign_out"),
  forgetLogin: () => invoke<AppView>("forget_login"),
  forgetEverything: () => invoke<{ deleted: number; view: AppView }>("forget_everything"),
  oauthStart: (loopback: boolean, hostname: string | null) =>
    invoke<OAuthStartView>("oauth_start", { loopback, hostname }),
  oauthPaste: (url: string, hostname: string | null) => invoke<SignInView>("oauth_paste", { url, hostname }),
  oauthCancel: () => invoke<void>("oauth_cancel"),
  profileCreate: (name: string, copyCurrent: boolean) => invoke<AppView>("profile_create", { name, copyCurrent }),
  profileDuplicate: (id: string) => invoke<AppView>("profile_duplicate", { id }),
  profileSwitch: (id: string) => invoke<AppView>("profile_switch", { id }),
  profileDelete: (id: string) => invoke<AppView>("profile_delete", { id }),
  profileUpdate: (id: string, edit: ProfileEdit) => invoke<AppView>("profile_update", { id, edit }),
  exportReport: (path: string | null) => invoke<string>("export_report", { path }),
  parsePhone: (phone: PhoneInput) => invoke<PhoneView>("parse_phone", { phone }),
  findContact: (phone: PhoneInput) => invoke<LookupView>("find_contact", { phone }),
  flowStart: (phone: PhoneInput) => invoke<FlowView>("flow_start", { phone }),
  flowCreate: (name: string, contactType: string | null, additional: Record<string, unknown>) =>
    invoke<FlowView>("flow_create", { name, contactType, additional }),
  flowLog: (call: CallInput) => invoke<FlowView>("flow_log", { call }),
  flowVerify: () => invoke<FlowView>("flow_verify"),
  flowAuto: (phone: PhoneInput, settings: { prefix: string; contactType: string | null }, call: CallInput) =>
    invoke<FlowView>("flow_auto", { phone, settings, call }),
  previewLogForm: (selected: string | null, direction: Direction) =>
    invoke<LogForm>("preview_log_form", { selected, direction }),
  logForm: (contacts: ContactInfo[], selected: string | null, direction: Direction) =>
    invoke<LogForm>("log_form", { contacts, selected, direction }),
  history: () => invoke<Exchange[]>("history"),
  clearHistory: () => invoke<void>("clear_history"),
};
