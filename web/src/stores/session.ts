import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, call, setAccessToken, setRefreshHandler, type Schemas } from '@/api/client';

export type Role = 'town_admin' | 'village_clerk' | 'village_reviewer' | 'auditor' | 'shop_clerk';

export const ROLE_NAMES: Record<Role, string> = {
  town_admin: '镇管理员',
  village_clerk: '村信息员',
  village_reviewer: '村议事会',
  auditor: '审计',
  shop_clerk: '超市店员',
};

/** Who is signed in: /auth/me's fields, and the display name the login answer adds. */
/**
 * The refresh cookie is SameSite=Strict and only honoured with this header: a page of another
 * site cannot set it, so it cannot make the api refresh or end a console session (CSRF).
 */
const CONSOLE_HEADER = { 'x-xinyi-console': '1' };

type Me = Pick<Schemas['MeDto'], 'id' | 'username' | 'role' | 'townId' | 'villageId' | 'shopId'> & { displayName?: string };

/**
 * Who is signed in. The access token is kept in memory (api/client.ts); the refresh token is an
 * httpOnly SameSite cookie set by the api for console logins, so page scripts never see it: a
 * reload or a 401 asks `/auth/refresh`, which reads the cookie.
 */
export const useSession = defineStore('session', () => {
  const user = ref<Me | null>(null);
  /** Why the user was sent back to the login page (shown there once). */
  const notice = ref<string | null>(null);
  let refreshing: Promise<boolean> | null = null;
  let expiryTimer: ReturnType<typeof setTimeout> | undefined;

  const role = computed(() => (user.value?.role ?? null) as Role | null);
  const villageId = computed(() => user.value?.villageId ?? null);

  function accept(tokens: { accessToken: string; expiresIn: number }): void {
    setAccessToken(tokens.accessToken);
    // Refresh a minute before the access token runs out, so a clerk typing never meets a 401.
    clearTimeout(expiryTimer);
    const ms = Math.max(10_000, (tokens.expiresIn - 60) * 1000);
    expiryTimer = setTimeout(() => void refresh(), ms);
  }

  /** True when the password was a one-time one: the user must choose a new one before anything else. */
  async function login(username: string, password: string): Promise<boolean> {
    const r = await call(api.POST('/api/v1/auth/login', { body: { username, password, client: 'console' } }));
    accept(r);
    notice.value = null;
    if (r.mustChangePassword) return true;
    user.value = r.user;
    return false;
  }

  /**
   * A one-time password replaced by the user's own: the api ends every session of the user (this
   * one included), so the console then signs in afresh with the new password (new cookie).
   */
  async function replaceOneTimePassword(username: string, oneTime: string, newPassword: string): Promise<void> {
    await call(api.POST('/api/v1/auth/password', { body: { currentPassword: oneTime, newPassword } }));
    await login(username, newPassword);
  }

  /** One refresh at a time: concurrent 401s share it. False when the session has ended. */
  function refresh(): Promise<boolean> {
    refreshing ??= (async () => {
      try {
        const r = await call(api.POST('/api/v1/auth/refresh', { body: {}, headers: CONSOLE_HEADER }));
        accept(r);
        if (!user.value) user.value = await call(api.GET('/api/v1/auth/me'));
        return true;
      } catch {
        const wasIn = user.value !== null;
        end(wasIn ? '登录已过期或已在别处退出，请重新登录' : null);
        return false;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  function end(message: string | null): void {
    clearTimeout(expiryTimer);
    setAccessToken(null);
    user.value = null;
    notice.value = message;
  }

  async function logout(): Promise<void> {
    try {
      await call(api.POST('/api/v1/auth/logout', { body: {}, headers: CONSOLE_HEADER }));
    } finally {
      end('您已安全退出');
    }
  }

  setRefreshHandler(refresh);
  return { user, role, villageId, notice, login, replaceOneTimePassword, refresh, logout, end };
});
