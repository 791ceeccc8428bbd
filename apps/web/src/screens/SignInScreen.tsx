import { CourierError } from "@courier/client";
import { type FormEvent, useState } from "react";
import { useController } from "../state/context.tsx";

/** Log in, or create an account: one form, two modes. */
export function SignInScreen() {
  const controller = useController();
  const [mode, setMode] = useState<"login" | "register">("login");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (mode === "login") await controller.login(username.trim(), password);
      else await controller.register(username.trim(), password, displayName);
    } catch (err) {
      setError(explain(err));
      setBusy(false);
    }
  };

  const registering = mode === "register";
  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div className="signin-logo" aria-hidden="true">
          ✉
        </div>
        <h1 id="signin-title">{registering ? "Create your account" : "Sign in to Courier"}</h1>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            minLength={registering ? 3 : 1}
            maxLength={32}
            pattern={registering ? "[a-z0-9_.]+" : undefined}
            value={username}
            onChange={(e) => setUsername(e.target.value.toLowerCase())}
          />
        </label>
        {registering ? (
          <label>
            Display name
            <input
              name="displayName"
              autoComplete="name"
              maxLength={64}
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
            />
          </label>
        ) : null}
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={registering ? "new-password" : "current-password"}
            required
            minLength={registering ? 8 : 1}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Please wait…" : registering ? "Create account" : "Sign in"}
        </button>
        <button
          type="button"
          className="link-button"
          onClick={() => {
            setMode(registering ? "login" : "register");
            setError(undefined);
          }}
        >
          {registering ? "I already have an account" : "Create an account"}
        </button>
      </form>
    </main>
  );
}

function explain(err: unknown): string {
  if (err instanceof CourierError) {
    if (err.code === "unauthorized") return "Wrong username or password.";
    if (err.code === "conflict") return "That username is taken.";
    if (err.code === "network") return "Can't reach Courier. Check your connection.";
    return err.message;
  }
  return "Something went wrong. Please try again.";
}
