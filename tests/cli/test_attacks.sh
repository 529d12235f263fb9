#!/bin/bash
# Attacks on the status feed, with real processes: a malicious mirror (a plain
# static HTTP server) serving a replayed checkpoint, a tampered segment, a
# feed signed by an impostor key, and a forked history from an issuer
# restored from a backup. Every one must be refused with the replica left as
# it was. Then a verifier killed with SIGKILL in the middle of syncs, again
# and again, must reopen consistent and lose nothing.
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
soon=$(date -d "$today +5 days" +%F)
later=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)
P1=$(free_port); PE=$(free_port); PF=$(free_port)

issue() { # ISS NAME UNTIL -> id
  printf '{"family_name": "%s", "given_names": "Awa", "birth_date": "1990-04-12", "nationality": "SEN",
 "foreign_national_number": "7503123456", "application": "first", "title_requested": "carte de séjour temporaire",
 "work_authorised": true, "filed_on": "%s", "valid_from": "%s", "valid_until": "%s"}' "$2" "$filed" "$from" "$3" >"h-$2.json"
  "$I" issue --dir "$1" --json "h-$2.json" --out out --formats png | awk 'NR==1 {print $1}'
}
result() { # DATA ID -> verdict
  "$V" verify --root fed/root.pub --data "$1" --payload "$(cat "out/$2.txt")" --json 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])'
}
sync_from() { # DATA SOURCE: sync only from that source
  "$V" sync --root fed/root.pub --data "$1" --trust tl.cose --from "$2" --mirrors-only --timeout 5
}
serve_dir() { # NAME DIR PORT: a static HTTP server on loopback
  start "$1" python3 -m http.server --bind 127.0.0.1 --directory "$2" "$3"
  wait_for 10 curl -s "http://127.0.0.1:$3/" -o /dev/null
}
flip_byte() { # FILE: flips one bit in the middle
  python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=1; open(p,"wb").write(b)' "$1"
}

expect_rc 0 "federation" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer FR-75" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
expect_rc 0 "admitted" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub --feed "http://127.0.0.1:$P1"
expect_rc 0 "trust list" "$F" publish --dir fed --out tl.cose
A1=$(issue iss ALPHA "$later"); A2=$(issue iss BRAVO "$later"); A3=$(issue iss CHARLIE "$later")
"$I" suspend --dir iss --id "$A3" >/dev/null && "$I" resume --dir iss --id "$A3" >/dev/null   # events 1 and 2
expect_rc 0 "first publication" "$I" publish --dir iss
cp -a iss iss-backup   # the backup a préfecture might restore one day

start iss "$I" serve --dir iss --listen "127.0.0.1:$P1" --heartbeat 1
wait_for 10 curl -sf "http://127.0.0.1:$P1/feed/v1/FR-75/checkpoint" -o /dev/null
expect_rc 0 "verifier V syncs from the issuer" "$V" sync --root fed/root.pub --data V --trust tl.cose
expect_rc 0 "verifier W syncs from the issuer" "$V" sync --root fed/root.pub --data W --trust tl.cose
mkdir -p old/feed/v1/FR-75
curl -sf "http://127.0.0.1:$P1/feed/v1/FR-75/checkpoint" -o old/feed/v1/FR-75/checkpoint

expect_rc 0 "revoke ALPHA" "$I" revoke --dir iss --id "$A1" --reason fraud
# a heartbeat cuts the segment (events 1 and 2 are segment 1; the revocation is event 3)
wait_for 10 curl -sf "http://127.0.0.1:$P1/feed/v1/FR-75/segments/3" -o /dev/null
expect_rc 0 "V syncs the revocation" "$V" sync --root fed/root.pub --data V --trust tl.cose
expect_eq "$(result V "$A1")" revoked "V: ALPHA revoked"

# 1. Replayed old checkpoint: a mirror serving the checkpoint from before the revocation.
serve_dir evil-old old "$PE"
expect_rc 1 "V refuses the replayed checkpoint" sync_from V "http://127.0.0.1:$PE"
expect_grep "rollback" "$TMP/.stdout" "the rollback is reported"
expect_grep "rollbacks refused: [1-9]" "$TMP/.stdout" "and counted"
expect_eq "$(result V "$A1")" revoked "V still holds the revocation"
stop evil-old

# 2. Tampered byte: the real feed, one bit of segment 3 (the revocation) flipped; W holds events 1-2 only.
mkdir -p tampered/feed/v1/FR-75/segments
for o in checkpoint snapshot segments/3; do curl -sf "http://127.0.0.1:$P1/feed/v1/FR-75/$o" -o "tampered/feed/v1/FR-75/$o"; done
expect_eq "$(test -s tampered/feed/v1/FR-75/segments/3 && echo yes)" yes "segment 3 exists"
flip_byte tampered/feed/v1/FR-75/segments/3
serve_dir evil-tampered tampered "$PE"
expect_rc 1 "W refuses the tampered segment" sync_from W "http://127.0.0.1:$PE"
expect_eq "$(result W "$A1")" valid "W keeps its state (ALPHA not revoked from a tampered feed)"
flip_byte tampered/feed/v1/FR-75/segments/3   # restored: now genuine
flip_byte tampered/feed/v1/FR-75/checkpoint   # the checkpoint tampered instead
expect_rc 1 "W refuses the tampered checkpoint" sync_from W "http://127.0.0.1:$PE"
expect_eq "$(result W "$A1")" valid "W keeps its state"
stop evil-tampered

# 3. Forged feed: an impostor holding another key for FR-75 (not in the trust list).
expect_rc 0 "impostor issuer" "$I" init --dir fake --id FR-75 --name "Préfecture de police" --kdf interactive
FAKE=$(issue fake DELTA "$later")
"$I" revoke --dir fake --id "$FAKE" --reason error >/dev/null
"$I" publish --dir fake >/dev/null
start fake "$I" serve --dir fake --listen "127.0.0.1:$PF" --heartbeat 1
wait_for 10 curl -sf "http://127.0.0.1:$PF/feed/v1/FR-75/checkpoint" -o /dev/null
expect_rc 1 "W refuses a feed signed by a key not in the trust list" sync_from W "http://127.0.0.1:$PF"
expect_eq "$(result W "$A1")" valid "W keeps its state"
stop fake

# 4. Forked chain: the backup is restored and changes something else: its history differs at the same seq.
"$I" suspend --dir iss-backup --id "$A2" >/dev/null
start forked "$I" serve --dir iss-backup --listen "127.0.0.1:$PF" --heartbeat 1
wait_for 10 curl -sf "http://127.0.0.1:$PF/feed/v1/FR-75/checkpoint" -o forked-first.cose
# a heartbeat re-signs its checkpoint (however slow the machine)
resigned() { curl -sf "http://127.0.0.1:$PF/feed/v1/FR-75/checkpoint" -o forked-now.cose && ! cmp -s forked-now.cose forked-first.cose; }
wait_for 10 resigned
expect_rc 1 "V detects the fork" sync_from V "http://127.0.0.1:$PF"
expect_grep "FORK" "$TMP/.stdout" "the fork is reported loudly"
expect_grep "forks detected: [1-9]" "$TMP/.stdout" "and counted"
expect_eq "$(result V "$A1")" revoked "V keeps its history (ALPHA revoked)"
expect_eq "$(result V "$A2")" valid "the forked suspension is not applied"
stop forked
expect_rc 0 "V still syncs from the real issuer" "$V" sync --root fed/root.pub --data V --trust tl.cose

# 5. SIGKILL in the middle of syncs, again and again: nothing lost, nothing half-applied.
stop iss
expect_rc 0 "a big issuer" "$I" init --dir big --id FR-13 --name "Préfecture des Bouches-du-Rhône" --kdf interactive
PB=$(free_port)
expect_rc 0 "admitted" "$F" add-issuer --dir fed --id FR-13 --name "Préfecture des Bouches-du-Rhône" --pub big/issuer.pub --feed "http://127.0.0.1:$PB"
expect_rc 0 "trust list 2" "$F" publish --dir fed --out tl.cose
python3 - big.csv "$filed" "$from" "$soon" <<'PY'
import sys
rows = ["family_name,given_names,birth_date,nationality,foreign_national_number,application,title_requested,work_authorised,filed_on,valid_from,valid_until,previous_title_number,previous_title_expires_on"]
for i in range(25000):
    rows.append(f"NOM{i},Awa,1990-04-12,SEN,75{i:08d},first,carte de séjour temporaire,true,{sys.argv[2]},{sys.argv[3]},{sys.argv[4]},,")
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
"$I" issue --dir big --csv big.csv --out bigout --formats "" >/dev/null
expect_eq "$(ls bigout | grep -vc -- "-card\.txt$")" 25000 "25,000 attestations issued (and their holder's cards)"
# K-base: a verifier that holds the 25,000 attestations before their renewal.
expect_rc 0 "published (before renewal)" "$I" publish --dir big
start big0 "$I" serve --dir big --listen "127.0.0.1:$PB" --heartbeat 3600
wait_for 10 curl -sf "http://127.0.0.1:$PB/feed/v1/FR-13/checkpoint" -o /dev/null
"$V" sync --root fed/root.pub --data K-base --trust tl.cose >/dev/null 2>&1
stop big0
expect_rc 0 "renew-pending: 25,000 extensions" "$I" renew-pending --dir big --expiring-within 15d --by 3m
expect_grep "renewed 25000" "$TMP/.stdout" "every one renewed"
expect_rc 0 "published" "$I" publish --dir big
start big "$I" serve --dir big --listen "127.0.0.1:$PB" --heartbeat 1
wait_for 10 curl -sf "http://127.0.0.1:$PB/feed/v1/FR-13/checkpoint" -o /dev/null
first=$(ls bigout | head -1); last=$(ls bigout | tail -1)
check_big() { # the two ends of the batch: valid after the printed end (extended) once synced, and never anything else
  for f in "$first" "$last"; do
    "$V" verify --root fed/root.pub --data K --payload "$(cat "bigout/$f")" --at "$(date -d "$soon +20 days" +%F)" --max-staleness 60d --json 2>/dev/null |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])'
  done | sort -u | tr '\n' ' '
}
# How long one sync of the 25,000 renewals (3 segments) takes, from K-base.
cp -a K-base K0
t0=$(date +%s%N)
"$V" sync --root fed/root.pub --data K0 --trust tl.cose >/dev/null 2>&1
full_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "one sync of the renewals: $full_ms ms"
consistent=0; midway=0; rounds=0
scale=100   # percent of the measured sync time to wait before killing; shrinks when a sync finishes first
while [ "$midway" -lt 10 ] && [ "$rounds" -lt 60 ]; do
  rounds=$((rounds + 1))
  rm -rf K
  if [ $((rounds % 2)) -eq 0 ] && [ -d K-partial ]; then cp -a K-partial K; else cp -a K-base K; fi  # every other round resumes a killed one
  delay_us=$(( full_ms * scale * (5 + RANDOM % 90) / 10 ))
  "$V" sync --root fed/root.pub --data K --trust tl.cose >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%06d' $((delay_us / 1000000)) $((delay_us % 1000000)))"
  if kill -KILL "$pid" 2>/dev/null; then midway=$((midway + 1)); elif [ "$scale" -gt 10 ]; then scale=$((scale * 3 / 4)); fi
  wait "$pid" 2>/dev/null
  state=$(check_big)
  # Before the batch: expired (extensions not yet applied) or no status yet; after it: valid. Never a mix.
  case "$state" in "expired " | "valid " | "status_unknown " | "unknown_issuer ") consistent=$((consistent + 1)) ;; *) echo "inconsistent after kill $rounds: $state" ;; esac
  rm -rf K-partial && cp -a K K-partial
done
expect_eq "$consistent" "$rounds" "after each of $rounds SIGKILLs the replica reopens consistent"
if [ "$midway" -ge 10 ]; then ok "$midway kills landed in the middle of a sync"; else bad "only $midway of $rounds kills landed mid-sync"; fi
expect_rc 1 "a complete sync after the last kill (FR-75 is down: exit 1)" "$V" sync --root fed/root.pub --data K --trust tl.cose
expect_grep "FR-13.*->" "$TMP/.stdout" "FR-13 was reached"
expect_eq "$(check_big)" "valid " "nothing lost: every extension is there"

finish
