#!/bin/sh
# Needs both extra files under $PT__installdir/rextest/files.
. "$PT__installdir/rextest/files/lib.sh"
report "${PT_count:-2}" "$PT__installdir/rextest/files/data.txt"
