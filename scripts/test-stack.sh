#!/bin/sh
# `npm run test:stack`: the stack tests. Those that wait on the clock with a stack of their own
# (vite.config.ts's stack-clock project, mostly idle) run beside the others, which share one stack
# and run one file at a time. Arguments go to both runs (a file filter, --exclude, ...).
vitest run --project stack-clock --passWithNoTests "$@" &
clock=$!
vitest run --project stack "$@"
code=$?
wait "$clock" || code=1
exit "$code"
