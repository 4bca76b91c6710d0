#!/bin/sh
# render-config.sh TEMPLATE OUT: alertmanager.yml from TEMPLATE with the Telegram settings from
# the environment, so no token or chat id is ever written to a committed file.
#
#   TELEGRAM_BOT_TOKEN   required, the bot's token (123456789:AA...)
#   TELEGRAM_CHAT_ID     required, the numeric chat id (negative for groups)
#   TELEGRAM_API_URL     optional, default https://api.telegram.org
#   ANNOUNCED_BY_BOT     optional, silent (default) or telegram: where alerts go that the paper
#                        bot already sends to Telegram itself (docs/monitoring.md)
#
# The compose file runs it as Alertmanager's entrypoint; OUT is created with mode 0600.
set -eu
template="$1"
out="$2"
fail() { echo "alertmanager config: $*" >&2; exit 2; }

token="${TELEGRAM_BOT_TOKEN:-}"
chat="${TELEGRAM_CHAT_ID:-}"
api="${TELEGRAM_API_URL:-https://api.telegram.org}"
announced="${ANNOUNCED_BY_BOT:-silent}"
printf '%s' "$token" | grep -Eq '^[0-9]+:[A-Za-z0-9_-]+$' \
  || fail "TELEGRAM_BOT_TOKEN is not set or not a bot token (digits, a colon, then letters, digits, _ or -)"
printf '%s' "$chat" | grep -Eq '^-?[0-9]+$' \
  || fail "TELEGRAM_CHAT_ID is '$chat'; expected a numeric chat id such as 123456789 or -1001234567890"
printf '%s' "$api" | grep -Eq '^https?://[A-Za-z0-9.:/_-]+$' \
  || fail "TELEGRAM_API_URL is '$api'; expected an http(s) URL such as https://api.telegram.org"
case "$announced" in
  silent|telegram) ;;
  *) fail "ANNOUNCED_BY_BOT is '$announced'; expected silent or telegram" ;;
esac

umask 077
sed -e "s|@TELEGRAM_BOT_TOKEN@|$token|" \
    -e "s|@TELEGRAM_CHAT_ID@|$chat|" \
    -e "s|@TELEGRAM_API_URL@|${api%/}|" \
    -e "s|@ANNOUNCED_BY_BOT@|$announced|" \
    -e "s|@TEMPLATE_DIR@|$(dirname "$template")|" \
    "$template" > "$out.tmp"
mv "$out.tmp" "$out"
