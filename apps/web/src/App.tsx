import { AppShell } from "./screens/AppShell.tsx";
import { SignInScreen } from "./screens/SignInScreen.tsx";
import { useAppState } from "./state/context.tsx";

/** Picks the screen for the session phase. */
export function App() {
  const phase = useAppState((s) => s.phase);
  if (phase === "booting") return <div className="booting" aria-busy="true" />;
  if (phase === "signed-out") return <SignInScreen />;
  return <AppShell />;
}
