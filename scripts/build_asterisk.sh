#!/usr/bin/env bash
# Build the Asterisk the test suite runs (22.10.1 + its bundled pjproject 2.17) once, into a
# cache outside the clone, and reuse it afterwards. The cache key is the sha256 of the two
# source tarballs and of this script, so a new source or a changed recipe builds a new prefix.
#
# Usage: scripts/build_asterisk.sh              build if needed, print the prefix
#        scripts/build_asterisk.sh --print-prefix print the prefix if built, else exit 1
#
# Sources: $CTI_SHARED/asterisk/ (default: ../shared beside the clone, as on CI, or beside
# the main clone for a git worktree).
# Cache:   $CTI_ASTERISK_CACHE (default ~/.cache/cti-asterisk)/<key>/ with a .complete marker.
# Needs the Debian build packages that scripts/bootstrap.sh test installs.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${CTI_SHARED:-$repo/../shared}"
if [ -z "${CTI_SHARED:-}" ] && [ ! -d "$shared" ]; then
  # A git worktree: the sources sit beside the main clone.
  common="$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)"
  [ -n "$common" ] && shared="$(dirname "$common")/../shared"
fi
src="$shared/asterisk"
ast_tar="$src/asterisk-22.10.1.tar.xz"
pj_tar="$src/pjproject-2.17.tar.bz2"
cache="${CTI_ASTERISK_CACHE:-$HOME/.cache/cti-asterisk}"

for f in "$ast_tar" "$pj_tar"; do
  if [ ! -r "$f" ]; then
    echo "build_asterisk: missing $f (set CTI_SHARED to the folder holding asterisk/)" >&2
    exit 1
  fi
done

key="$(cat "$ast_tar" "$pj_tar" "$repo/scripts/build_asterisk.sh" | sha256sum | cut -c1-16)"
prefix="$cache/$key"

if [ "${1:-}" = "--print-prefix" ]; then
  [ -f "$prefix/.complete" ] || exit 1
  echo "$prefix"
  exit 0
fi

mkdir -p "$cache"
# One builder at a time: a second run waits here, then finds the finished prefix.
exec 9>"$cache/.lock"
flock 9
if [ -f "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi

# The modules the engine, the shipped dialplan and the tests use (SIP phones, queues,
# recording, music on hold, FastAGI), plus WebRTC (websocket transport, SRTP).
modules=(
  app_queue app_mixmonitor app_dial app_playback app_read app_senddtmf app_playtones
  app_milliwatt app_originate app_verbose app_echo app_stack app_exec app_userevent
  app_softhangup app_channelredirect app_record app_transfer app_waituntil app_bridgewait
  app_chanspy app_while app_directed_pickup
  res_agi res_speech res_musiconhold res_timing_timerfd res_manager_devicestate res_crypto
  res_sorcery_config res_sorcery_memory res_sorcery_astdb res_sorcery_memory_cache
  pbx_config
  bridge_simple bridge_softmix bridge_holding bridge_builtin_features
  bridge_builtin_interval_features bridge_native_rtp
  codec_ulaw codec_alaw codec_a_mu codec_resample
  format_wav format_pcm format_sln
  func_callerid func_channel func_strings func_logic func_global func_math func_cut func_db
  func_hangupcause func_uri func_volume func_env func_timeout func_rand func_sprintf
  func_dialplan func_devstate func_pjsip_endpoint func_pjsip_contact func_pjsip_aor
  chan_pjsip res_pjproject res_pjsip res_pjsip_session res_pjsip_pubsub
  res_pjsip_authenticator_digest res_pjsip_outbound_authenticator_digest
  res_pjsip_outbound_registration res_pjsip_endpoint_identifier_user
  res_pjsip_endpoint_identifier_ip res_pjsip_registrar res_pjsip_sdp_rtp res_pjsip_caller_id
  res_pjsip_refer res_pjsip_dtmf_info res_pjsip_rfc3326 res_pjsip_nat res_pjsip_header_funcs
  res_pjsip_logger res_pjsip_acl res_pjsip_diversion res_pjsip_config_wizard
  res_pjsip_history res_rtp_asterisk
  res_http_websocket res_pjsip_transport_websocket res_srtp
)

work="$(mktemp -d "$cache/.build-XXXXXX")"
trap 'rm -rf "$work"' EXIT
log="$work/build.log"
echo "build_asterisk: building Asterisk 22.10.1 into $prefix (about 3 minutes; log $log)" >&2
started=$SECONDS
run() {
  if ! "$@" >>"$log" 2>&1; then
    echo "build_asterisk: failed: $*" >&2
    tail -40 "$log" >&2
    exit 1
  fi
}

mkdir -p "$work/externals"
cp "$pj_tar" "$work/externals/"
tar -xJf "$ast_tar" -C "$work"
cd "$work/asterisk-22.10.1"
run ./configure --prefix="$prefix" --with-pjproject-bundled \
  --with-externals-cache="$work/externals" --without-jansson-bundled --without-libjwt-bundled
run make menuselect.makeopts
# Start from nothing: every module category off (this also turns off the sound and MOH
# packages that `make install` would try to download), then the working set on.
for cat in MENUSELECT_ADDONS MENUSELECT_APPS MENUSELECT_BRIDGES MENUSELECT_CDR MENUSELECT_CEL \
  MENUSELECT_CHANNELS MENUSELECT_CODECS MENUSELECT_FORMATS MENUSELECT_FUNCS MENUSELECT_PBX \
  MENUSELECT_RES MENUSELECT_TESTS MENUSELECT_UTILS MENUSELECT_AGIS MENUSELECT_CORE_SOUNDS \
  MENUSELECT_MOH MENUSELECT_EXTRA_SOUNDS; do
  run menuselect/menuselect --disable-category "$cat" menuselect.makeopts
done
args=()
for m in "${modules[@]}"; do args+=(--enable "$m"); done
run menuselect/menuselect "${args[@]}" menuselect.makeopts
run make -j"$(nproc)"
# Install into a staging root and move the finished prefix into place in one rename, so a
# half-installed prefix never looks usable.
run make install DESTDIR="$work/stage"
missing=()
for m in "${modules[@]}"; do
  [ -e "$work/stage$prefix/lib/asterisk/modules/$m.so" ] || missing+=("$m")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build_asterisk: modules not built: ${missing[*]} (missing build packages?)" >&2
  exit 1
fi
rm -rf "$prefix"
mv "$work/stage$prefix" "$prefix"
touch "$prefix/.complete"
echo "build_asterisk: built in $((SECONDS - started)) s" >&2
echo "$prefix"
