/** REST types of the browser session (`/api/v2/session`), shared by the server and the web UI. */

export interface SessionUser {
  id: number;
  login: string;
  admin: boolean;
}

/** `POST /api/v2/session` and `GET /api/v2/session`. */
export interface SessionResponse {
  user: SessionUser;
  /** Send as the `X-CSRF-Token` header on every non-GET request made with the session cookie. */
  csrf_token: string;
}

export interface LoginRequest {
  login: string;
  password: string;
}

/** The header a cookie-authenticated non-GET request must carry. */
export const CSRF_HEADER = 'X-CSRF-Token';
