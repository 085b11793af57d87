import type { LoginRequest, SessionResponse } from '@common/session';
import { api } from '../shared/http';

export const login = (body: LoginRequest) => api<SessionResponse>('POST', '/session', { body, quiet401: true });
export const currentSession = () => api<SessionResponse>('GET', '/session', { quiet401: true });
export const logout = () => api<void>('DELETE', '/session', { quiet401: true });
