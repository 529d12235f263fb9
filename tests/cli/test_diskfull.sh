#!/bin/bash
# Full and read-only disks: the issuer's registry, its backups and key
# files, the verifier's replica and its key store answer with a clear error
# when a write cannot be made, keep their data as it was (a write is all or
# nothing), and work again once there is room.
#
# A full disk is made with `ulimit -f` (the largest file a process may
# write; with SIGXFSZ ignored a write past it fails with EFBIG, as a write
# to a full disk fails with ENOSPC), everywhere; and, where this machine
# lets the test mount one, with a small tmpfs filled up (ENOSPC) and
# remounted read-only (EROFS).
source "$(dirname "$0")/lib.sh"
F="$BIN/api-federation"; I="$BIN/api-issuer"; V="$BIN/api-verifier"

MNT=""
trap 'if [ -n "$MNT" ]; then umount "$MNT" 2>/dev/null; fi; cleanup' EXIT

# limited KB CMD...: runs CMD unable to write any file past KB kilobytes.
limited() { local kb=$1; shift; ( trap '' XFSZ; ulimit -f "$kb"; exec "$@" ); }
kb_of() { echo $(( $(stat -c %s "$1") / 1024 )); }
count_of() { "$I" list --dir "$1" 2>/dev/null | grep -c .; }

today=$(date +%F)
from=$(date -d "$today -10 days" +%F)
later=$(date -d "$today +60 days" +%F)
filed=$(date -d "$today -40 days" +%F)
# rows N FILE: a CSV file of N holders.
rows() {
  echo "family_name,given_names,birth_date,nationality,foreign_national_number,application,title_requested,work_authorised,filed_on,valid_from,valid_until" >"$2"
  for n in $(seq 1 "$1"); do echo "N$n,Awa,1990-04-12,SEN,7503123456,first,carte de séjour temporaire,true,$filed,$from,$later" >>"$2"; done
}

PI=$(free_port)
expect_rc 0 "federation init" "$F" init --dir fed --kdf interactive
expect_rc 0 "issuer init" "$I" init --dir iss --id FR-75 --name "Préfecture de police" --kdf interactive
expect_rc 0 "admit FR-75" "$F" add-issuer --dir fed --id FR-75 --name "Préfecture de police" --pub iss/issuer.pub --feed "http://127.0.0.1:$PI"
expect_rc 0 "publish the trust list" "$F" publish --dir fed --out tl.cose
rows 3 three.csv
expect_rc 0 "issue three" "$I" issue --dir iss --csv three.csv --out out --formats png
start iss "$I" serve --dir iss --listen "127.0.0.1:$PI" --heartbeat 1
wait_for 10 curl -sf "http://127.0.0.1:$PI/feed/v1/FR-75/checkpoint" -o /dev/null
expect_rc 0 "the verifier's first sync" "$V" sync --root fed/root.pub --data vd --trust tl.cose

# --- the issuer's registry: a batch that does not fit is not registered at all
rows 300 many.csv
expect_rc 4 "issue 300 on a full disk fails" limited "$(kb_of iss/registry/data.mdb)" "$I" issue --dir iss --csv many.csv --out outfull --formats png
expect_grep "the disk is full" "$TMP/.stderr" "it says the disk is full"
expect_eq "$(count_of iss)" 3 "nothing of the batch was registered"
expect_eq "$(ls outfull 2>/dev/null | wc -l)" 0 "and no attestation file was written"
expect_rc 0 "with room again, the same batch is issued" "$I" issue --dir iss --csv many.csv --out outmany --formats png
expect_eq "$(count_of iss)" 303 "303 attestations"

# --- published changes: the replica cannot take them on a full disk, and keeps what it had
ids=$(ls outmany/*.txt | grep -v -- -card | head -150 | xargs -n1 basename | sed 's/\.txt$//')
for id in $ids; do "$I" revoke --dir iss --id "$id" --reason error >/dev/null || bad "revoke $id"; done
first=$(echo "$ids" | head -1)
"$I" publish --dir iss >/dev/null
verdict() { "$V" verify --root fed/root.pub --data vd --payload "$(cat outmany/"$1".txt)" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])'; }
before=$(kb_of vd/data.mdb)
limited "$before" "$V" sync --root fed/root.pub --data vd --trust tl.cose >sync-full.out 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then ok "a sync on a full disk fails (exit $rc)"; else bad "a sync on a full disk fails"; fi
expect_grep "the disk is full" sync-full.out "the sync says the disk is full"
expect_grep "nothing of this batch was written" sync-full.out "and that nothing of the batch was written"
expect_eq "$(verdict "$first")" valid "the replica kept its state (the revocation is not half there)"
expect_rc 0 "with room again, the sync takes the batch" "$V" sync --root fed/root.pub --data vd --trust tl.cose
expect_eq "$(verdict "$first")" revoked "the revocation is there"
expect_eq "$(verdict "$(echo "$ids" | tail -1)")" revoked "every one of the 150"

# --- backup and restore on a full disk: no file at all rather than half a file
expect_rc 4 "a backup on a full disk fails" limited 8 "$I" backup --dir iss --out full.api
expect_grep "the disk is full: no backup written" "$TMP/.stderr" "it says the disk is full and no backup was written"
expect_eq "$(ls | grep -c '^full\.api')" 0 "no backup file, no temporary file"
expect_rc 0 "with room again, the backup is written" "$I" backup --dir iss --out good.api
expect_rc 4 "a restore on a full disk fails" limited "$(( $(kb_of good.api) / 2 ))" "$I" restore --from good.api --dir restored
expect_grep "the disk is full: nothing restored" "$TMP/.stderr" "it says the disk is full and nothing was restored"
[ ! -e restored ] && ok "the restore left nothing behind" || bad "the restore left nothing behind"
expect_rc 0 "with room again, the restore works" "$I" restore --from good.api --dir restored
expect_eq "$(count_of restored)" 303 "the restored registry holds every attestation"

# --- key files: a new key that cannot be written leaves the old one in place
cp iss/issuer.key key.before; cp iss/issuer.pub pub.before
expect_rc 4 "rotate-key on a full disk fails" limited 0 "$I" rotate-key --dir iss --kdf interactive
expect_eq "$(cmp -s iss/issuer.key key.before && cmp -s iss/issuer.pub pub.before && echo same)" same "issuer.key and issuer.pub are as they were"
expect_rc 0 "the old key still signs (publish)" "$I" publish --dir iss
expect_rc 0 "a key of the verifier's store" "$V" keys add --data vd --org "Agence A" --profile bank
limited 0 "$V" keys add --data vd --org "Agence B" --profile bank >keyfull.out 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then ok "a key added on a full disk is refused (exit $rc)"; else bad "a key added on a full disk is refused"; fi
sed 's/^/     | /' keyfull.out | head -3
expect_rc 0 "the key store reads" "$V" keys list --data vd
expect_grep "Agence A" "$TMP/.stdout" "the earlier key is still there"
expect_no_grep "Agence B" "$TMP/.stdout" "the refused key is not half there"
expect_rc 0 "with room again, a key is added" "$V" keys add --data vd --org "Agence C" --profile bank

# --- a small tmpfs, where this machine allows mounting one: a really full disk, then a read-only one
mkdir -p small
if mount -t tmpfs -o size=4m tmpfs small 2>/dev/null; then
  MNT="$TMP/small"
  cp -a iss small/iss
  stop iss
  head -c $(( 4 * 1024 * 1024 )) /dev/zero >small/filler 2>/dev/null
  rows 200 more.csv
  expect_rc 4 "tmpfs full (ENOSPC): issue fails" "$I" issue --dir small/iss --csv more.csv --out small/out --formats png
  expect_grep "the disk is full|the disk could not take the write" "$TMP/.stderr" "it says the disk could not take the write"
  expect_eq "$(count_of small/iss)" 303 "nothing of the batch was registered"
  rm -f small/filler; rm -rf small/out
  expect_rc 0 "room again: issue works" "$I" issue --dir small/iss --csv three.csv --out small/out --formats png
  expect_eq "$(count_of small/iss)" 306 "306 attestations"
  if mount -o remount,ro "$MNT" 2>/dev/null; then
    one=$(ls small/out/*.txt | grep -v -- -card | head -1 | xargs basename | sed 's/\.txt$//')
    expect_rc 4 "read-only disk: revoke fails" "$I" revoke --dir small/iss --id "$one" --reason error
    expect_grep "registry|Read-only" "$TMP/.stderr" "it names the registry that cannot be written"
    expect_rc 4 "read-only disk: a backup into it fails" "$I" backup --dir iss --out small/ro.api
    mount -o remount,rw "$MNT"
    expect_rc 0 "writable again: the revocation is made" "$I" revoke --dir small/iss --id "$one" --reason error
  else
    echo "skip read-only remount: not allowed here"
  fi
  umount "$MNT" && MNT=""
else
  echo "skip tmpfs: mounting is not allowed here (the ulimit -f checks above stand for a full disk)"
fi

finish
