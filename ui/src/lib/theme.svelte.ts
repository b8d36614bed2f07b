// The colour theme: System (follows prefers-color-scheme), Light or Dark, kept in localStorage.
// app.css holds the colours; this only sets data-theme on <html> ("light"/"dark"; none = System).
export type ThemeChoice = "system" | "light" | "dark";
const KEY = "switchboard.theme";

function stored(): ThemeChoice {
  const v = localStorage.getItem(KEY);
  return v === "light" || v === "dark" ? v : "system";
}

export const theme = $state<{ choice: ThemeChoice }>({ choice: stored() });

function apply(choice: ThemeChoice) {
  if (choice === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
}

apply(theme.choice);

export function setTheme(choice: ThemeChoice) {
  theme.choice = choice;
  localStorage.setItem(KEY, choice);
  apply(choice);
}
