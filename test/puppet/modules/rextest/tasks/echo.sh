#!/bin/sh
# Input from the environment: PT_message. Prints one JSON object.
printf '{"message": "%s", "task": "%s"}\n' "$PT_message" "$PT__task"
