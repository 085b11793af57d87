#!/bin/sh
echo "token for $PT_user is $PT_token" >&2
printf '{"user": "%s", "token_seen": "%s"}\n' "$PT_user" "$PT_token"
