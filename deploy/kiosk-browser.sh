#!/bin/sh
# Touchscreen launcher: waits until the kiosk server answers, opens Chromium full-screen on the kiosk page, and
# opens it again whenever it exits or crashes, waiting 2 s, then longer after each quick crash (up to a minute).
health=http://127.0.0.1:8000/healthz
page="http://127.0.0.1:8000/?kiosk=1"
delay=2
while true; do
  until curl -sf "$health" >/dev/null; do sleep 2; done
  started=$(date +%s)
  chromium --kiosk --noerrdialogs --disable-session-crashed-bubble --autoplay-policy=no-user-gesture-required "$page"
  [ $(($(date +%s) - started)) -ge 300 ] && delay=2  # it ran for a while: not a crash loop
  echo "chromium exited; opening it again in $delay s" >&2
  sleep "$delay"
  delay=$((delay >= 30 ? 60 : delay * 2))
done
