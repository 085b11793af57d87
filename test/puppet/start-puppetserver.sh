#!/usr/bin/env bash
# start-puppetserver.sh [DIR] [CERTNAME...] - run a real Puppet Server 7 (Debian bookworm) on loopback.
# The test harness of the Puppet Tasks suites (test/puppet/puppet-harness.ts) runs it; it is the
# script of ../shared/puppet-server/ (research: puppet-server-real.md) with the demo module replaced
# by PS_MODULES.
#
# Debian packages only: puppetserver 7.9.5 (pulls in puppet-agent 7.23, jruby, openjdk-17-jre).
# Everything it writes lives in DIR (default: a new mktemp dir): config, CA, certs, code, logs, pid.
#   - own CA ('puppetserver ca setup', 2048-bit keys), server cert 'puppet' with SANs
#     puppet, localhost, IP:127.0.0.1;
#   - Jetty bound to 127.0.0.1:PS_PORT only, one JRuby instance, small heap;
#   - environment 'production' with the module folders named by PS_MODULES (space separated)
#     copied in; drop more into DIR/code/environments/production/modules
#     (environment_timeout=0: the server picks them up without a restart);
#   - one client cert per CERTNAME (default proxy.example.com), signed online by the CA
#     ('puppetserver ca generate'); an existing cert is reused.
# Idempotent: packages are installed only when missing; when the server already runs from DIR,
# only the missing client certs are made. Prints shell-style KEY=value lines at the end.
# Stop with stop-puppetserver.sh DIR.
#
# Knobs: PS_PORT (8140), PS_JAVA_ARGS (-Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1),
#        PS_WAIT_S (240, seconds to wait for readiness), PS_MODULES (none).
set -euo pipefail

DIR=${1:-$(mktemp -d "${TMPDIR:-/tmp}/puppetserver.XXXXXX")}
shift || true
CERTNAMES=("$@"); ((${#CERTNAMES[@]})) || CERTNAMES=(proxy.example.com)
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
PORT=${PS_PORT:-8140}
JAVA_ARGS=${PS_JAVA_ARGS:--Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}
WAIT_S=${PS_WAIT_S:-240}
T0=$SECONDS
log() { printf '[puppetserver +%3ds] %s\n' $((SECONDS - T0)) "$*" >&2; }
die() { echo "start-puppetserver: $*" >&2; exit 1; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# pid of the server started from DIR, if it still runs (cmdline must name DIR: guards reused PIDs)
server_pid() {
  local pid; pid=$(cat "$DIR/run/puppetserver.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/conf.d" || return 1
  echo "$pid"
}
CONF=$DIR/puppet/puppet.conf
CODE=$DIR/code/environments/production

# ---- 1. packages (idempotent) --------------------------------------------------------------
if ! dpkg-query -W -f='${Status}' puppetserver 2>/dev/null | grep -q 'ok installed'; then
  [[ $(id -u) == 0 ]] || die "need root to install puppetserver"
  log "installing puppetserver (about 160 packages, 100 MB of debs)"
  # keep postinst from starting the system-wide service (matters only on hosts with systemd)
  own_policy=
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends puppetserver >/dev/null
  [[ -n $own_policy ]] && rm -f /usr/sbin/policy-rc.d
  log "puppetserver installed"
fi

if pid=$(server_pid); then
  log "already running from $DIR (pid $pid)"
else
  port_busy "$PORT" && die "127.0.0.1:$PORT is already in use (set PS_PORT)"
  [[ -r /etc/puppet/puppetserver/conf.d/auth.conf ]] ||
    die "cannot read /etc/puppet/puppetserver (run as root or as a member of group puppet)"

  # ---- 2. configuration (rewritten on every start; the CA and code are kept) ---------------
  mkdir -p "$DIR"/{conf.d,puppet,code,var,run,log} "$CODE"/{modules,manifests}
  # the package's authorization rules, unchanged (tasks, file_content: any cert signed by the CA)
  cp /etc/puppet/puppetserver/conf.d/auth.conf "$DIR/conf.d/auth.conf"
  cat > "$DIR/conf.d/global.conf" <<EOF
global: { logging-config: "$DIR/logback.xml" }
product: { check-for-updates: false }
EOF
  cat > "$DIR/conf.d/webserver.conf" <<EOF
webserver: {
  access-log-config: "$DIR/request-logging.xml"
  client-auth: want
  ssl-host: 127.0.0.1
  ssl-port: $PORT
}
EOF
  cat > "$DIR/conf.d/web-routes.conf" <<'EOF'
web-router-service: {
  "puppetlabs.services.ca.certificate-authority-service/certificate-authority-service": "/puppet-ca"
  "puppetlabs.services.master.master-service/master-service": "/puppet"
  "puppetlabs.services.legacy-routes.legacy-routes-service/legacy-routes-service": ""
  "puppetlabs.services.puppet-admin.puppet-admin-service/puppet-admin-service": "/puppet-admin-api"
  "puppetlabs.trapperkeeper.services.status.status-service/status-service": "/status"
  "puppetlabs.trapperkeeper.services.metrics.metrics-service/metrics-webservice": "/metrics"
}
EOF
  cat > "$DIR/conf.d/puppetserver.conf" <<EOF
jruby-puppet: {
  ruby-load-path: [/usr/lib/puppetserver/ruby/vendor_ruby]
  gem-home: /var/lib/puppetserver/jruby-gems
  gem-path: [/var/lib/puppetserver/jruby-gems, /usr/lib/puppetserver/vendored-jruby-gems]
  server-conf-dir: "$DIR/puppet"
  server-code-dir: "$DIR/code"
  server-var-dir: "$DIR/var"
  server-run-dir: "$DIR/run"
  server-log-dir: "$DIR/log"
  max-active-instances: 1
}
certificate-authority: {}
metrics: { server-id: localhost }
EOF
  cat > "$DIR/logback.xml" <<EOF
<configuration>
  <appender name="F" class="ch.qos.logback.core.FileAppender">
    <file>$DIR/log/puppetserver.log</file>
    <encoder><pattern>%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5p [%t] [%c{2}] %m%n</pattern></encoder>
  </appender>
  <logger name="org.eclipse.jetty" level="INFO"/>
  <root level="info"><appender-ref ref="F"/></root>
</configuration>
EOF
  cat > "$DIR/request-logging.xml" <<EOF
<configuration debug="false">
  <appender name="F" class="ch.qos.logback.core.FileAppender">
    <file>$DIR/log/access.log</file>
    <encoder><pattern>%h %l %u [%t] "%r" %s %b "%i{User-Agent}" %D</pattern></encoder>
  </appender>
  <appender-ref ref="F"/>
</configuration>
EOF
  # puppet.conf is read by the server (JRuby) and by the CA CLI (its own simple ini parser)
  cat > "$CONF" <<EOF
[main]
certname = puppet
server = localhost
serverport = $PORT
ssldir = $DIR/puppet/ssl
cadir = $DIR/puppet/ca
keylength = 2048
basemodulepath = $DIR/code/modules
[server]
environment_timeout = 0
EOF
  printf -- '---\nversion: 5\nhierarchy: []\n' > "$DIR/puppet/hiera.yaml"

  # ---- 3. CA and server cert (once per DIR) ------------------------------------------------
  if [[ ! -f $DIR/puppet/ca/ca_crt.pem ]]; then
    log "creating CA"
    puppetserver ca setup --config "$CONF" --certname puppet \
      --subject-alt-names puppet,localhost,IP:127.0.0.1 >"$DIR/log/ca-setup.log" 2>&1 ||
      { cat "$DIR/log/ca-setup.log" >&2; die "ca setup failed"; }
  fi

  # ---- 4. test modules (copied on every start, so edits in the checkout take effect) ---------
  for src in ${PS_MODULES:-}; do
    [[ -d $src ]] || die "PS_MODULES: $src is not a directory"
    rm -rf "${CODE:?}/modules/$(basename "$src")"
    cp -R "$src" "$CODE/modules/"
  done
  find "$CODE/modules" -path '*/tasks/*' -type f ! -name '*.json' -exec chmod 755 {} +

  # ---- 5. start the JVM (same java command line as the package's systemd unit) -------------
  rm -f "$DIR/run/restart"
  log "starting puppetserver on 127.0.0.1:$PORT ($JAVA_ARGS)"
  # shellcheck disable=SC2086
  # --add-opens: what the package's CLI wrappers pass; lets JRuby spawn processes on Java 17
  setsid /usr/bin/java $JAVA_ARGS \
    --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/java.io=ALL-UNNAMED \
    -Djruby.logger.class=com.puppetlabs.jruby_utils.jruby.Slf4jLogger \
    -Djruby.lib=/usr/share/jruby/lib -XX:+CrashOnOutOfMemoryError \
    -XX:ErrorFile="$DIR/log/java_err_pid%p.log" \
    -jar /usr/share/puppetserver/puppetserver.jar \
    --config "$DIR/conf.d" --bootstrap-config /etc/puppet/puppetserver/services.d \
    --restart-file "$DIR/run/restart" \
    </dev/null >"$DIR/log/stdout.log" 2>&1 &
  echo $! > "$DIR/run/puppetserver.pid"

  # trapperkeeper writes 1 into the restart file once every service (JRuby pool included) is up
  for ((i = 0; i < WAIT_S * 2; i++)); do
    [[ $(head -c1 "$DIR/run/restart" 2>/dev/null) == 1 ]] && break
    kill -0 "$(cat "$DIR/run/puppetserver.pid")" 2>/dev/null ||
      { tail -n 20 "$DIR/log/stdout.log" "$DIR/log/puppetserver.log" >&2; die "puppetserver exited"; }
    sleep 0.5
  done
  [[ $(head -c1 "$DIR/run/restart" 2>/dev/null) == 1 ]] || die "not ready after ${WAIT_S}s; see $DIR/log"
  log "puppetserver ready"
fi

# ---- 6. client certs (signed online through the CA API; the CLI uses the server's cert) ------
SSL=$DIR/puppet/ssl
for cn in "${CERTNAMES[@]}"; do
  [[ -f $SSL/certs/$cn.pem ]] && continue
  log "generating client cert $cn"
  puppetserver ca generate --config "$CONF" --certname "$cn" >"$DIR/log/ca-generate.log" 2>&1 ||
    { cat "$DIR/log/ca-generate.log" >&2; die "ca generate $cn failed"; }
done

echo "PUPPETSERVER_URL=https://localhost:$PORT"
echo "PUPPETSERVER_DIR=$DIR"
echo "PUPPETSERVER_CA_CERT=$DIR/puppet/ca/ca_crt.pem"
echo "PUPPETSERVER_MODULES=$CODE/modules"
for cn in "${CERTNAMES[@]}"; do
  v=$(echo "$cn" | tr 'a-z.-' 'A-Z__')
  echo "CLIENT_CERT_$v=$SSL/certs/$cn.pem"
  echo "CLIENT_KEY_$v=$SSL/private_keys/$cn.pem"
done
