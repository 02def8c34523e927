'use client';
// Feature flags for the signed-in user. The server evaluates them (the same function the
// engine uses, stable per user), so the web app never hashes or decides anything itself: it
// reads `GET /api/user/flags` once per signed-in page load and asks `useFlag(key)`.
import { useEffect, useState } from 'react';
import { api } from './api';
import { useSession } from './session';

export type UserFlags = {
  flags: Record<string, boolean>;
  config: Record<string, Record<string, unknown>>;
};

export type Flag = { on: boolean; config: Record<string, unknown> };

const OFF: Flag = { on: false, config: {} };

let loaded: { user: string; flags: Promise<UserFlags | null> } | null = null;

/** The caller's flags, fetched once per user per page load; `null` when they cannot be read. */
function userFlags(user: string): Promise<UserFlags | null> {
  if (loaded?.user !== user) {
    loaded = { user, flags: api<UserFlags>('/api/user/flags').catch(() => null) };
  }
  return loaded.flags;
}

/** Whether `key` is on for the signed-in user, with its config. Off while loading, for
 *  visitors, and when the flags cannot be read: a flag only ever adds something. */
export function useFlag(key: string): Flag {
  const session = useSession();
  const user = session.status === 'signed-in' ? session.me?.id : undefined;
  const [flag, setFlag] = useState<Flag>(OFF);
  useEffect(() => {
    if (!user) {
      setFlag(OFF);
      return;
    }
    let current = true;
    void userFlags(user).then((flags) => {
      if (!current) return;
      setFlag(flags?.flags[key] ? { on: true, config: flags.config[key] ?? {} } : OFF);
    });
    return () => {
      current = false;
    };
  }, [user, key]);
  return flag;
}
