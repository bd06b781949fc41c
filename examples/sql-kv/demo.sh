#!/usr/bin/env bash
# Demo scenario 2 on a running Portals server (docs/sql.md): the table deployed, queried and
# updated with `portals sql`, a transaction in a session, the server killed with SIGKILL and
# restarted, and the rows still there.
#
#   bash examples/sql-kv/demo.sh        (from the repository, after npm ci; builds if needed)
#
# It checks what it shows and exits 1 when something is not as it says.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/demo-server.sh
say() { printf '\n== %s\n' "$*"; }
expect() { [ "$1" = "$2" ] || fail "expected: $2; got: $1"; }

export PORTALS_SQL_HISTORY="$DATA/history"
say "start a server and deploy the table (examples/sql-kv/table.ts)"
serve
portals deploy examples/sql-kv/table.ts > /dev/null
sql() { portals sql --table /sqlkv/portals/kv -e "$1"; }

say "insert, update and query"
sql "INSERT INTO kv (k, v) VALUES (1, 10), (2, 20), (3, 30);
     UPDATE kv SET v = v + 1 WHERE k >= 2;
     SELECT * FROM kv WHERE k BETWEEN 1 AND 3;
     SELECT count(*), sum(v) FROM kv;"

say "a transaction: a move between two keys, read back inside it, then committed"
sql "BEGIN; UPDATE kv SET v = v - 5 WHERE k = 1; UPDATE kv SET v = v + 5 WHERE k = 3; SELECT * FROM kv WHERE k IN (1, 3); COMMIT;"

say "an error names what and where, and changes nothing"
if sql "SELECT * FROM kv JOIN other ON kv.k = other.k;" 2> "$DATA/err"; then fail "a join was accepted"; fi
cat "$DATA/err"
grep -q "JOIN at 1:18 is not supported" "$DATA/err" || fail "the error does not name the join"

say "kill the server with SIGKILL, start it again on the same data dir"
kill_server
serve
rows=$(sql "SELECT k, v FROM kv;")
echo "$rows"
expect "$(echo "$rows" | tr -s ' ' | tr -d '\n')" " k | v---+---- 1 | 5 2 | 21 3 | 36(3 rows)"

say "done"
