// What the sign-in page hears from elsewhere: a loopback OAuth sign-in ends in the shell, which
// tells the window by an event (App listens); its refusal belongs on the sign-in form, not in a
// toast. `seq` changes with every outcome, so the form shows each one once.
export const oauthOutcome = $state<{ seq: number; error: string | null }>({ seq: 0, error: null });

export function oauthFinished(error: string | null) {
  oauthOutcome.error = error;
  oauthOutcome.seq++;
}
