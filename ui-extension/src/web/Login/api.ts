import type { LoginRequest, SessionResponse } from '@common/session';
import type { CurrentUserDto } from '@common/users';
import { api } from '../shared/http';

export const login = (body: LoginRequest) => api<SessionResponse>('POST', '/session', { body, quiet401: true });
export const currentSession = () => api<SessionResponse>('GET', '/session', { quiet401: true });
export const logout = () => api<void>('DELETE', '/session', { quiet401: true });
/** The caller with the permissions it holds, so pages can hide what it may not do. */
export const currentUser = () => api<CurrentUserDto>('GET', '/current_user', { quiet401: true });
