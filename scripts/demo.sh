#!/usr/bin/env bash
# Brings the demo up: keys, database, demo data, then the site, the task worker, the
# scheduler and the payment gateway simulator. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG="${DEBUG:-0}"
export KABINET_SITE_URL="${KABINET_SITE_URL:-http://127.0.0.1:8000}"
# The demo logins work without a phone; production requires staff two-factor sign-in.
export KABINET_STAFF_2FA_REQUIRED="${KABINET_STAFF_2FA_REQUIRED:-0}"
# Cards through the gateway simulator (the kabinet provider), YooKassa (a stand-in of its API
# v3 on port 8002: cards, SBP, card autopay) and an OSMP agent to try.
export KABINET_PAYMENT_PROVIDERS="${KABINET_PAYMENT_PROVIDERS:-kabinet,yookassa,osmp}"
export KABINET_YOOKASSA_SHOP_ID="${KABINET_YOOKASSA_SHOP_ID:-demo-shop}"
export KABINET_YOOKASSA_SECRET_KEY="${KABINET_YOOKASSA_SECRET_KEY:-demo-secret}"
export KABINET_YOOKASSA_API_URL="${KABINET_YOOKASSA_API_URL:-http://127.0.0.1:8002/v3}"
export KABINET_YOOKASSA_CHECKOUT_ORIGINS="${KABINET_YOOKASSA_CHECKOUT_ORIGINS:-http://127.0.0.1:8002}"
export KABINET_OSMP_USERNAME="${KABINET_OSMP_USERNAME:-demo-agent}"
export KABINET_OSMP_PASSWORD="${KABINET_OSMP_PASSWORD:-demo-agent-password}"
# The demo operator's requisites for invoices and statements (a variable already set wins).
while IFS='=' read -r name value; do
  case "$name" in ''|'#'*) continue ;; esac
  [ -n "${!name:-}" ] || export "$name=$value"
done < scripts/demo.env
mkdir -p var/keys var/mail var/log

# Keys: the website's, the gateway simulator's and the billing simulator's; each side
# trusts the other's public key.
$PY manage.py keys generate --out var/keys/site.pem >/dev/null
if [ -d paysim ]; then $PY -m paysim keys generate --out var/keys --name gateway >/dev/null; fi
if [ -d billingsim ]; then $PY -m billingsim keys generate --out var/keys --name billing >/dev/null; fi

$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
$PY manage.py seed_demo

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

.venv/bin/gunicorn kabinet.wsgi -b 127.0.0.1:8000 -w 3 --access-logfile var/log/access.log \
  --error-logfile var/log/web.log &
pids+=($!)
$PY manage.py db_worker --interval 1 >var/log/worker.log 2>&1 &
pids+=($!)
$PY manage.py run_scheduler >var/log/scheduler.log 2>&1 &
pids+=($!)
if [ -d paysim ]; then
  PAYSIM_DB=var/paysim.sqlite3 PAYSIM_PRIVATE_KEY=var/keys/gateway.pem \
  PAYSIM_TRUSTED_KEYS=var/keys/site.pub.pem PAYSIM_SITE_URL=http://127.0.0.1:8000 \
    $PY -m paysim serve --port 8001 >var/log/paysim.log 2>&1 &
  pids+=($!)
fi

case "$KABINET_YOOKASSA_API_URL" in
  http://127.0.0.1:8002/*)
    $PY -m kabinet.payments.tests.yookassa_standin --port 8002 \
      --shop-id "$KABINET_YOOKASSA_SHOP_ID" --secret-key "$KABINET_YOOKASSA_SECRET_KEY" \
      --notify-url "$KABINET_SITE_URL/pay/yookassa/notify/" >var/log/yookassa.log 2>&1 &
    pids+=($!)
    ;;
esac

sleep 2
cat <<TXT

  Kabinet demo is running (Ctrl-C stops everything).

  Public site ........ http://127.0.0.1:8000/
  Sign in ............ http://127.0.0.1:8000/login/
  Client cabinet ..... http://127.0.0.1:8000/cabinet/
  Manager cabinet .... http://127.0.0.1:8000/manager/
  Editor cabinet ..... http://127.0.0.1:8000/editor/
  Pay without login .. http://127.0.0.1:8000/pay/
  Gateway simulator .. http://127.0.0.1:8001/
  YooKassa stand-in .. http://127.0.0.1:8002/v3 (its "Pay" page confirms a card or SBP payment)
  Mail sent by the demo is written to var/mail/; logs are in var/log/.

  An OSMP agent paying 500 RUB to contract 100001:
    curl -u demo-agent:demo-agent-password "http://127.0.0.1:8000/pay/osmp/?command=pay&txn_id=1001&txn_date=20261204120000&account=100001&sum=500.00"

  The Telegram bot has no real bot here (messages go to var/telegram/): press "Link Telegram"
  in Notifications → Settings, then play the chat with the token after start=:
    .venv/bin/python manage.py telegram_message "/start <token>"   (then /balance, /pay, /requests)

  Client 100004 runs low: it may take a promised payment, and its automatic invoice is in
  var/mail/ (to buh@client100004.example). Billing receives the bank transfer:
    .venv/bin/python manage.py exchange export --out var/site.zip
    B=".venv/bin/python -m billingsim --home var/billingsim --key var/keys/billing.pem --trust var/keys/site.pub.pem"
    \$B import var/site.zip && \$B pay-invoice <number> && \$B export --out var/billing.zip
    .venv/bin/python manage.py exchange import var/billing.zip

  Card autopay (YooKassa stand-in): as client100001 open Balance and payments → Card autopay,
  agree to the terms and press "Pay" on the stand-in's page. To make the balance "run low",
  set the low-balance alert to "balance below 1 000 000 ₽" and run the forecast pass now:
    .venv/bin/python manage.py run_scheduler --now forecast.pass

  Demo logins (password demo12345):
    admin@kabinet.test            administrator
    manager@kabinet.test          manager
    manager2@kabinet.test         manager
    editor@kabinet.test           editor
    client100001@kabinet.test     client 100001 administrator
    client100002@kabinet.test     client 100002 administrator
    client100003@kabinet.test     client 100003 administrator
    client100004@kabinet.test     client 100004 administrator
    client100005@kabinet.test     client 100005 administrator (contract closed)

TXT
wait -n "${pids[@]}"
echo "A demo process stopped; see var/log/. Stopping the rest." >&2
