#!/bin/sh
sleep "$PT_seconds"
printf '{"slept": %s}\n' "$PT_seconds"
