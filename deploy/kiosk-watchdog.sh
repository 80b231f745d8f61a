#!/bin/sh
# Restart the kiosk server when systemd says it is running but /healthz gives no answer (hung) or a 500.
# A 503 (no index yet) is left alone: a restart would not make one; `kiosk doctor` in the journal says why.
# Usage: kiosk-watchdog.sh URL UNIT  (run by deploy/suiting-kiosk-watchdog.service)
url=${1:-http://127.0.0.1:8000/healthz}
unit=${2:-suiting-kiosk}
grace=180  # seconds the server may take to answer after it started (voice and search models load)

systemctl is-active --quiet "$unit" || exit 0  # stopped on purpose, or still building: Restart= covers crashes
started=$(systemctl show -p ActiveEnterTimestampMonotonic --value "$unit")
now=$(cut -d. -f1 /proc/uptime)
[ $((now - started / 1000000)) -lt "$grace" ] && exit 0
for attempt in 1 2; do
  code=$(curl -s -o /dev/null -m 20 -w '%{http_code}' "$url")
  case "$code" in 2??|503) exit 0 ;; esac
  [ "$attempt" = 1 ] && sleep 10
done
echo "$url answered '$code' twice in a row: restarting $unit"
exec systemctl restart "$unit"
