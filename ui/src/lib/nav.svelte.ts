// Which section of the app is shown. App.svelte renders it; any panel may send the person
// elsewhere (e.g. to Sign in when a command answers NotSignedIn).
export type Section = "profiles" | "manifest" | "signin" | "lookup" | "flow" | "runs" | "inspector";

export const nav = $state<{ section: Section }>({ section: "manifest" });

export function goTo(section: Section) {
  nav.section = section;
}
