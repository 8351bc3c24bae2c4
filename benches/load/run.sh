#!/usr/bin/env bash
# Load benchmark of the example apps (issue 4): see benches/load/README.md.
#
#   benches/load/run.sh                       # everything: 3 frameworks x 2 stores (~15 min)
#   benches/load/run.sh --frameworks warp --stores cookie --rounds 1 --logins 500
#
# Installs wrk if it is missing, builds the three examples and the driver with --release, and
# runs the driver (target/release/load-bench) with the arguments given here. Sessions of the
# redis runs go to database $LOAD_BENCH_REDIS_DB (default 13) of the Redis on 127.0.0.1:6379,
# which must be empty at the start; the keys the apps wrote there are deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v wrk >/dev/null; then
    apt-get update && apt-get install -y wrk
fi

redis_db="${LOAD_BENCH_REDIS_DB:-13}"
if ! keys="$(redis-cli -h 127.0.0.1 -p 6379 -n "$redis_db" dbsize)"; then
    echo "Redis is not answering on 127.0.0.1:6379" >&2
    exit 1
fi
if [ "$keys" != "0" ]; then
    echo "Redis database $redis_db holds $keys keys; set LOAD_BENCH_REDIS_DB to an empty one" >&2
    exit 1
fi
cleanup() {
    # Only the session keys the apps wrote, in the benchmark's own database.
    redis-cli -h 127.0.0.1 -p 6379 -n "$redis_db" --scan --pattern 'a0:session:*' \
        | xargs -r -n 500 redis-cli -h 127.0.0.1 -p 6379 -n "$redis_db" del >/dev/null
}
trap cleanup EXIT

cargo build --release -p example-actix -p example-rocket -p example-warp -p load-bench
target_dir="$(cargo metadata --format-version 1 --no-deps \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
"$target_dir/release/load-bench" --redis-url "redis://127.0.0.1:6379/$redis_db" "$@"
