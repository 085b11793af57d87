#!/bin/sh
echo "not JSON: failing with $PT_code"
echo "something went wrong" >&2
exit "$PT_code"
